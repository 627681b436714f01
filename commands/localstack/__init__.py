"""The local stack: a real Kafka broker and Apicurio registry from Maven Central, no Docker."""
from commands.localstack.stack import StackState, stack_down, stack_status, stack_up

__all__ = ["StackState", "stack_down", "stack_status", "stack_up"]
