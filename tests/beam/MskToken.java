// Runs AWS's own aws-msk-iam-auth OAUTHBEARER login handler, configured from a Kafka client
// properties file (what oauthbearer.beam.msk_kafka_config produces), and prints the token it makes:
// the test compares it with the core's for the same credentials. Credentials and region come from
// the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION), as on
// a worker.
import java.io.FileReader;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import javax.security.auth.callback.Callback;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;

public class MskToken {
    public static void main(String[] args) throws Exception {
        System.out.println(token(new HashMap<>(load(args[0]))));
    }

    /** A properties file's entries (SparkMskToken reads its Spark options with it too). */
    public static Map<String, String> load(String path) throws java.io.IOException {
        Properties properties = new Properties();
        try (FileReader reader = new FileReader(path)) {
            properties.load(reader);
        }
        Map<String, String> entries = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            entries.put(name, properties.getProperty(name));
        }
        return entries;
    }

    /** Configures the login handler the configs name, as Kafka's client does, and returns its
     *  token as a JSON object. */
    public static String token(Map<String, Object> given) throws Exception {
        Map<String, Object> configs = new HashMap<>(given);
        // As Kafka's client reads it: sasl.jaas.config is a Password-typed config.
        configs.put("sasl.jaas.config", new Password(given.get("sasl.jaas.config").toString()));
        JaasContext jaas = JaasContext.loadClientContext(configs);
        AuthenticateCallbackHandler handler = (AuthenticateCallbackHandler) Class
            .forName(given.get("sasl.login.callback.handler.class").toString())
            .getDeclaredConstructor().newInstance();
        handler.configure(configs, given.get("sasl.mechanism").toString(), jaas.configurationEntries());
        OAuthBearerTokenCallback callback = new OAuthBearerTokenCallback();
        handler.handle(new Callback[] {callback});
        // Token, lifetime and principal hold only base64url, digits and an ARN: no JSON escaping needed.
        return "{\"token\":\"" + callback.token().value() + "\",\"lifetime_ms\":"
            + callback.token().lifetimeMs() + ",\"principal\":\"" + callback.token().principalName() + "\"}";
    }
}
