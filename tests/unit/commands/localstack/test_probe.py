"""The stack's readiness probe and port check against listeners that are not the registry."""
import socket
import threading

from commands.localstack.probe import registry_ready
from commands.localstack.procs import free_port, port_taken


def _listener_answering(reply: bytes) -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(reply)

    threading.Thread(target=answer, daemon=True).start()
    return server, server.getsockname()[1]


def test_a_tls_listener_on_the_registry_port_is_not_ready_rather_than_an_error():
    server, port = _listener_answering(b"\x15\x03\x03\x00\x02\x02\x50")  # a TLS alert
    with server:
        assert registry_ready(f"http://127.0.0.1:{port}") is False


def test_port_taken_sees_a_listener_and_a_free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        assert port_taken(sock.getsockname()[1]) is True
    assert port_taken(free_port()) is False


def test_a_stopped_servers_time_wait_connections_do_not_hold_its_port():
    # The registry restarted on its own port: the old one's connections linger in TIME_WAIT,
    # which must not make the stack move the registry (clients hold its URL). Servers (Quarkus,
    # Kafka, http.server) bind with SO_REUSEADDR, and so does the check.
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end goes to TIME_WAIT
    client.close()
    server.close()
    assert port_taken(port) is False
