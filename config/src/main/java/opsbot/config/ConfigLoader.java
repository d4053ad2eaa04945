package opsbot.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Loads one YAML file into {@link OpsbotConfig}: parse (keeping line numbers), resolve secrets, bind to
 * records, resolve relative paths against the file's folder, and validate the whole. Never throws for a
 * bad file: every problem comes back in {@link Result.Invalid}.
 */
public final class ConfigLoader {
    private final Function<String, String> env;
    private final boolean checkFiles;

    /**
     * @param checkFiles whether key, known_hosts and truststore files must exist (off for dry-run demos)
     */
    public ConfigLoader(Function<String, String> env, boolean checkFiles) {
        this.env = env;
        this.checkFiles = checkFiles;
    }

    public ConfigLoader() {
        this(System::getenv, true);
    }

    public sealed interface Result {
        record Loaded(OpsbotConfig config) implements Result {
        }

        record Invalid(String file, List<Problem> problems) implements Result {
            /** All problems, one block each, ready for a terminal. */
            public String report() {
                StringBuilder b = new StringBuilder();
                b.append(file).append(": ").append(problems.size())
                        .append(problems.size() == 1 ? " problem" : " problems").append('\n');
                for (Problem p : problems) {
                    b.append(p.format(file)).append('\n');
                }
                return b.toString();
            }
        }
    }

    public Result load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return invalid(file, new Problem("", 0, "cannot read: " + e.getMessage(), "check the path and permissions"));
        }
        Path base = file.toAbsolutePath().getParent();
        return load(file.toString(), text, base);
    }

    public Result load(String name, String text, Path base) {
        LocatedYaml yaml;
        try {
            yaml = LocatedYaml.parse(text);
        } catch (LocatedYaml.DuplicateKey e) {
            return new Result.Invalid(name, List.of(new Problem(e.path, e.line, "duplicate key",
                    "each key may appear once; merge the two entries")));
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            return new Result.Invalid(name, List.of(new Problem("", line, "not valid YAML: " + e.getOriginalMessage(),
                    "check indentation and quoting near this line")));
        } catch (IOException e) {
            return new Result.Invalid(name, List.of(new Problem("", 0, "cannot parse: " + e.getMessage(), "")));
        }
        if (!yaml.root.isObject()) {
            return new Result.Invalid(name, List.of(new Problem("", 1, "the file must be a YAML mapping",
                    "start from config/examples/opsbot.yml")));
        }
        List<Problem> problems = new ArrayList<>();
        resolveSecrets(yaml.root, "", yaml, problems);
        if (!problems.isEmpty()) {
            return new Result.Invalid(name, problems);
        }
        OpsbotConfig config;
        try {
            config = MAPPER.treeToValue(yaml.root, OpsbotConfig.class);
        } catch (JsonMappingException e) {
            String path = pointer(e.getPath());
            return new Result.Invalid(name, List.of(new Problem(path, yaml.lineOf(path), bindMessage(e),
                    "see the configuration reference in README.md")));
        } catch (JsonProcessingException e) {
            return new Result.Invalid(name, List.of(new Problem("", 0, e.getOriginalMessage(), "")));
        }
        config = resolvePaths(config, base);
        for (Problem p : new ConfigValidator(checkFiles).validate(config)) {
            problems.add(new Problem(p.path(), yaml.lineOf(p.path()), p.message(), p.hint()));
        }
        return problems.isEmpty() ? new Result.Loaded(config) : new Result.Invalid(name, problems);
    }

    private static Result invalid(Path file, Problem p) {
        return new Result.Invalid(file.toString(), List.of(p));
    }

    private void resolveSecrets(JsonNode node, String path, LocatedYaml yaml, List<Problem> problems) {
        if (node instanceof ObjectNode o) {
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                String child = path + "/" + LocatedYaml.escape(e.getKey());
                if (e.getValue().isTextual()) {
                    resolveText(e.getValue().asText(), child, yaml, problems, v -> e.setValue(TextNode.valueOf(v)));
                } else {
                    resolveSecrets(e.getValue(), child, yaml, problems);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                final int idx = i;
                if (a.get(i).isTextual()) {
                    resolveText(a.get(i).asText(), path + "/" + i, yaml, problems, v -> a.set(idx, TextNode.valueOf(v)));
                } else {
                    resolveSecrets(a.get(i), path + "/" + i, yaml, problems);
                }
            }
        }
    }

    private void resolveText(String text, String path, LocatedYaml yaml, List<Problem> problems,
                             java.util.function.Consumer<String> set) {
        if (!text.contains("${")) {
            return;
        }
        try {
            set.accept(new Secrets(env).resolve(text));
        } catch (IllegalArgumentException e) {
            problems.add(new Problem(path, yaml.lineOf(path), e.getMessage(),
                    "secrets are given as ${env:NAME} or ${file:/path}; set the variable or create the file"));
        }
    }

    private static OpsbotConfig resolvePaths(OpsbotConfig c, Path base) {
        if (base == null) {
            return c;
        }
        if (c.ssh() != null) {
            SshConfig s = c.ssh();
            c = c.withSsh(s.withPaths(abs(base, s.privateKey()), abs(base, s.knownHosts())));
        }
        if (c.irc() != null && c.irc().truststore() != null) {
            IrcConfig i = c.irc();
            c = c.withIrc(i.withTruststore(abs(base, i.truststore())));
        }
        StorageConfig st = c.storage();
        if (st.jdbcUrl() == null && st.path() != null) {
            c = c.withStorage(new StorageConfig(abs(base, st.path()), null, st.user(), st.password()));
        }
        return c;
    }

    private static String abs(Path base, String p) {
        return p == null ? null : base.resolve(p).normalize().toString();
    }

    private static String pointer(List<JsonMappingException.Reference> refs) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            b.append('/').append(r.getFieldName() != null ? LocatedYaml.escape(r.getFieldName()) : r.getIndex());
        }
        return b.toString();
    }

    private static String bindMessage(JsonMappingException e) {
        if (e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u) {
            return "unknown key '" + u.getPropertyName() + "' (known here: " + u.getKnownPropertyIds() + ")";
        }
        if (e instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException f) {
            return "bad value '" + f.getValue() + "': expected " + simpleType(f.getTargetType());
        }
        String m = e.getOriginalMessage();
        int cut = m.indexOf('\n');
        return cut > 0 ? m.substring(0, cut) : m;
    }

    private static String simpleType(Class<?> t) {
        if (t.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object o : t.getEnumConstants()) {
                names.add(o.toString().toLowerCase(java.util.Locale.ROOT));
            }
            return "one of " + names;
        }
        return t.getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addModule(new SimpleModule("opsbot")
                    .addDeserializer(Duration.class, new FromStringDeserializer<>(Duration.class) {
                        @Override
                        protected Duration _deserialize(String value, DeserializationContext ctxt) {
                            return Durations.parse(value);
                        }
                    })
                    .addDeserializer(ZoneId.class, new FromStringDeserializer<>(ZoneId.class) {
                        @Override
                        protected ZoneId _deserialize(String value, DeserializationContext ctxt) {
                            return ZoneId.of(value);
                        }
                    }))
            .build();

}
