package govbus.examples;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.serde.Default4ByteIdHandler;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.config.SerdeConfig;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one govbus topic (e.g. {@code shared.<recipient>.<dataset>}) and prints each record as
 * one line: {@code <partition>:<offset> key=<key> <record as JSON>}.
 *
 * <p>Usage: {@code java -jar target/java-subscriber.jar <bootstrap> <registry-url> <topic>
 * <group-id> <max-records> <timeout-seconds> [<identity-file>]}. The identity file is the JSON
 * govbus hands a recipient ({@code user}, {@code password}, {@code mechanism}, {@code ca_file}):
 * with it the consumer connects over SASL_SSL with SCRAM, trusting the bus's CA. The registry URL is the one govbus uses
 * ({@code http://host:port/apis/ccompat/v7}) or Apicurio's own {@code .../apis/registry/v3}. Exits 0 once it has read {@code max-records}
 * records, 1 when the timeout passes first, 2 on bad arguments. See docs/subscribers.md.
 */
public final class Subscriber {

    private Subscriber() {
    }

    public static void main(String[] args) {
        if (args.length != 6 && args.length != 7) {
            System.err.println("usage: Subscriber <bootstrap-servers> <registry-url> <topic> <group-id>"
                    + " <max-records> <timeout-seconds> [<identity-file>]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String registryUrl = args[1];
        String topic = args[2];
        String groupId = args[3];
        int maxRecords = Integer.parseInt(args[4]);
        Duration timeout = Duration.ofSeconds(Long.parseLong(args[5]));
        Properties props = consumerConfig(bootstrap, registryUrl, groupId);
        if (args.length == 7) {
            try {
                props.putAll(securityConfig(new File(args[6])));
            } catch (IOException e) {
                System.err.println("cannot read the identity file " + args[6] + ": " + e.getMessage());
                System.exit(2);
            }
        }
        System.exit(run(props, topic, maxRecords, timeout));
    }

    /**
     * SASL_SSL with SCRAM as the identity in {@code identityFile}; the bus's CA (a PEM file) is the
     * trust store. The password goes into the JAAS line, never onto a command line.
     */
    static Properties securityConfig(File identityFile) throws IOException {
        JsonNode identity = new ObjectMapper().readTree(identityFile);
        Properties props = new Properties();
        props.put("security.protocol", "SASL_SSL");
        props.put("sasl.mechanism", identity.path("mechanism").asText("SCRAM-SHA-512"));
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"" + identity.path("user").asText() + "\""
                + " password=\"" + identity.path("password").asText() + "\";");
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", identity.path("ca_file").asText());
        return props;
    }

    /** The consumer's settings: the deserializer settings are the part a department copies. */
    static Properties consumerConfig(String bootstrap, String registryUrl, String groupId) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Commit only what this program has printed (see the loop below).
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Keys are the record's business key as UTF-8 text.
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        // Values: Apicurio's Avro deserializer, reading the Confluent frame govbus writes
        // (magic byte 0, 4-byte big-endian schema id, Avro body). The id in the frame is the one
        // govbus got from Apicurio's ccompat API, which is Apicurio's content id, so:
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroKafkaDeserializer.class.getName());
        props.put(SerdeConfig.REGISTRY_URL, nativeApi(registryUrl));
        props.put(SerdeConfig.USE_ID, "contentId");                              // not globalId
        props.put(SerdeConfig.ID_HANDLER, Default4ByteIdHandler.class.getName()); // 4 bytes, not 8
        // No reader schema or specific class configured: values arrive as GenericRecord.
        return props;
    }

    /**
     * Apicurio's serde talks to the registry's own v3 API, not to the Confluent-compatible one
     * govbus is configured with: {@code http://host:port/apis/ccompat/v7} becomes
     * {@code http://host:port/apis/registry/v3}. Any other URL is taken as the v3 API itself.
     */
    static String nativeApi(String registryUrl) {
        String url = registryUrl.replaceAll("/+$", "");
        String ccompat = "/apis/ccompat/v7";
        return url.endsWith(ccompat) ? url.substring(0, url.length() - ccompat.length()) + "/apis/registry/v3" : url;
    }

    static int run(Properties props, String topic, int maxRecords, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        // UTF-8 whatever the locale: records carry Chinese text.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        int read = 0;
        try (KafkaConsumer<String, GenericRecord> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            while (read < maxRecords && Instant.now().isBefore(deadline)) {
                Map<TopicPartition, OffsetAndMetadata> printed = new HashMap<>();
                for (ConsumerRecord<String, GenericRecord> record : consumer.poll(Duration.ofMillis(500))) {
                    // GenericRecord.toString() is the record as JSON (Avro's own rendering).
                    out.println(record.partition() + ":" + record.offset() + " key=" + record.key()
                            + " " + record.value());
                    printed.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                    if (++read == maxRecords) {
                        break;
                    }
                }
                out.flush();
                if (!printed.isEmpty()) {
                    consumer.commitSync(printed);
                }
            }
        }
        if (read < maxRecords) {
            System.err.println("timed out after " + read + " of " + maxRecords + " records");
            return 1;
        }
        return 0;
    }
}
