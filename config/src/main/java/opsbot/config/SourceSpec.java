package opsbot.config;

/**
 * A sender the intake accepts events from: a script, Alertmanager, anything that speaks PagerDuty's Events API.
 * It proves who it is with a bearer token (also accepted as PagerDuty's {@code routing_key}), or with an
 * HMAC-SHA256 signature over a timestamp and the body, or either when both are given. Secrets come from
 * {@code ${env:…}} or {@code ${file:…}} so they never sit in the YAML.
 *
 * @param name       the source's name: what {@code source} in an event must say, and what routes match
 * @param token      bearer token (at least 16 characters), or null
 * @param hmacSecret HMAC-SHA256 key (at least 32 characters), or null
 */
public record SourceSpec(String name, String token, String hmacSecret) {
    @Override
    public String toString() { // never print the secrets
        return "SourceSpec[" + name + "]";
    }
}
