// Runs AWS's aws-msk-iam-auth OAUTHBEARER login handler on the Kafka client configurations Spark's
// own Kafka connector makes from a set of Spark source/sink options (what
// oauthbearer.spark.msk_options produces): Spark's KafkaSourceProvider drops the `kafka.` prefix
// and builds the driver's, the executors' and the sink producer's configurations. Prints one JSON
// line per configuration with the token the handler made; the test compares each with the core's.
// Credentials and region come from the environment, as on a cluster node.
import java.util.Map;
import org.apache.spark.sql.catalyst.util.CaseInsensitiveMap;
import org.apache.spark.sql.catalyst.util.CaseInsensitiveMap$;
import org.apache.spark.sql.kafka010.KafkaSourceProvider$;
import scala.jdk.javaapi.CollectionConverters;

public class SparkMskToken {
    public static void main(String[] args) throws Exception {
        Map<String, String> options = MskToken.load(args[0]);
        CaseInsensitiveMap<String> sparkOptions =
            CaseInsensitiveMap$.MODULE$.apply(scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(options)));
        KafkaSourceProvider$ provider = KafkaSourceProvider$.MODULE$;
        // The prefix-stripping Spark applies to source options (a private method, public in bytecode).
        scala.collection.immutable.Map<String, String> specified =
            provider.org$apache$spark$sql$kafka010$KafkaSourceProvider$$convertToSpecifiedParams(sparkOptions);
        Map<String, Map<String, Object>> configurations = new java.util.LinkedHashMap<>();
        configurations.put("driver", provider.kafkaParamsForDriver(specified));
        configurations.put("executor", provider.kafkaParamsForExecutors(specified, "oauthbearer-test"));
        configurations.put("producer", provider.kafkaParamsForProducer(sparkOptions));
        for (Map.Entry<String, Map<String, Object>> entry : configurations.entrySet()) {
            String token = MskToken.token(entry.getValue());
            StringBuilder config = new StringBuilder();
            for (Map.Entry<String, Object> property : new java.util.TreeMap<>(entry.getValue()).entrySet()) {
                config.append(config.length() == 0 ? "" : ",").append(json(property.getKey())).append(':')
                    .append(json(String.valueOf(property.getValue())));
            }
            System.out.println("{\"role\":\"" + entry.getKey() + "\",\"config\":{" + config + "},"
                + token.substring(1));
        }
    }

    /** A JSON string (the values here are class names, host names, numbers and a JAAS line). */
    static String json(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
