// A tiny Kafka Java client driver for the end-to-end tests: `E2e client.properties roundtrip TOPIC`
// produces one record through the broker and consumes it back; `E2e client.properties login`
// only constructs a producer, which runs the SASL login (token fetch + ClientJwtValidator).
// Prints one JSON line; exits 1 with the exception chain on failure.
import java.io.FileReader;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class E2e {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (FileReader reader = new FileReader(args[0])) {
            props.load(reader);
        }
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        try {
            if (args[1].equals("login")) {
                new KafkaProducer<String, String>(props).close();
                System.out.println("{\"login\":\"ok\"}");
                return;
            }
            String topic = args[2];
            String value = "java-" + UUID.randomUUID();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
                producer.send(new ProducerRecord<>(topic, value)).get();
            }
            props.put("group.id", "e2e-" + UUID.randomUUID());
            props.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
                consumer.subscribe(List.of(topic));
                long deadline = System.currentTimeMillis() + 60_000;
                while (System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                        if (record.value().equals(value)) {
                            System.out.println("{\"consumed\":\"" + value + "\"}");
                            return;
                        }
                    }
                }
            }
            System.out.println("{\"error\":\"record not consumed within 60 s\"}");
            System.exit(1);
        } catch (Exception e) {
            StringBuilder chain = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                chain.append(t.getClass().getName()).append(": ").append(t.getMessage()).append(" | ");
            }
            System.out.println("{\"error\":" + quote(chain.toString()) + "}");
            System.exit(1);
        }
    }

    /** A JSON string (RFC 8259 §7): quote, backslash and every control character escaped. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
