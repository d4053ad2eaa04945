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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        /** @param warnings things allowed but probably not meant, already formatted with file:line */
        record Loaded(OpsbotConfig config, List<String> warnings) implements Result {
            public Loaded(OpsbotConfig config) {
                this(config, List.of());
            }
        }

        record Invalid(String file, List<Problem> problems, List<String> warnings) implements Result {
            public Invalid(String file, List<Problem> problems) {
                this(file, problems, List.of());
            }

            /** All problems, one block each, then the warnings, ready for a terminal. */
            public String report() {
                StringBuilder b = new StringBuilder();
                b.append(file).append(": ").append(problems.size())
                        .append(problems.size() == 1 ? " problem" : " problems").append('\n');
                for (Problem p : problems) {
                    b.append(p.format(file)).append('\n');
                }
                warnings.forEach(w -> b.append(w).append('\n'));
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
            int line = ParserErrors.yamlLine(e.getOriginalMessage(), e.getLocation() == null ? 0 : e.getLocation().getLineNr());
            return new Result.Invalid(name, List.of(new Problem("", line, "not valid YAML: "
                    + ParserErrors.yaml(e.getOriginalMessage()), "check indentation and quoting near this line")));
        } catch (IOException e) {
            return new Result.Invalid(name, List.of(new Problem("", 0, "cannot parse: " + e.getMessage(), "")));
        }
        if (!yaml.root.isObject()) {
            return new Result.Invalid(name, List.of(new Problem("", 1, "the file must be a YAML mapping",
                    "start from config/examples/opsbot.yml")));
        }
        List<Problem> problems = new ArrayList<>();
        resolveSecrets(yaml.root, "", yaml, problems);
        // Every problem in one run: a bad value is reported, taken out of the tree, and binding is tried
        // again, so one wrong type does not hide the rest. Later complaints about what was taken out (or
        // about an unresolved secret) would only repeat the first one and are left out.
        Set<String> reported = new HashSet<>();
        problems.forEach(p -> reported.add(p.path()));
        OpsbotConfig config = null;
        for (int attempt = 0; attempt < MAX_BIND_ATTEMPTS && config == null; attempt++) {
            try {
                config = MAPPER.treeToValue(yaml.root, OpsbotConfig.class);
            } catch (JsonMappingException e) {
                String path = pointer(e.getPath());
                if (!under(path, reported)) {
                    problems.add(new Problem(path, yaml.lineOf(path), ParserErrors.binding(e, at(yaml.root, path)),
                            ParserErrors.hint(e)));
                    reported.add(path);
                }
                if (!takeOut(yaml.root, path)) {
                    break;
                }
            } catch (JsonProcessingException e) {
                problems.add(new Problem("", 0, "cannot read the file: " + e.getOriginalMessage(), ""));
                break;
            }
        }
        List<String> warnings = new ArrayList<>();
        if (config != null) {
            config = resolvePaths(config, base);
            ConfigValidator validator = new ConfigValidator(checkFiles);
            for (Problem p : validator.validate(config)) {
                if (!under(p.path(), reported)) {
                    problems.add(new Problem(p.path(), yaml.lineOf(p.path()), p.message(), p.hint()));
                }
            }
            for (Problem w : validator.warnings()) {
                warnings.add(new Problem(w.path(), yaml.lineOf(w.path()), "warning: " + w.message(), w.hint()).format(name));
            }
        }
        if (problems.isEmpty() && config != null) {
            return new Result.Loaded(config, List.copyOf(warnings));
        }
        problems.sort(java.util.Comparator.comparingInt(Problem::line));
        return new Result.Invalid(name, problems, List.copyOf(warnings));
    }

    private static final int MAX_BIND_ATTEMPTS = 200;

    private static boolean under(String path, Set<String> reported) {
        for (String r : reported) {
            if (path.equals(r) || path.startsWith(r + "/") || (r.startsWith(path + "/") && !path.isEmpty())) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode at(JsonNode root, String path) {
        return path.isEmpty() ? root : root.at(path);
    }

    /**
     * Takes the value at {@code path} out of the tree so that binding can go on: a key is removed (its
     * default applies), a list element becomes an empty mapping, and if that fails again, goes.
     */
    private static boolean takeOut(JsonNode root, String path) {
        int cut = path.lastIndexOf('/');
        if (cut < 0) {
            return false;
        }
        JsonNode parent = at(root, path.substring(0, cut));
        String last = path.substring(cut + 1).replace("~1", "/").replace("~0", "~");
        if (parent instanceof ObjectNode o && o.has(last)) {
            o.remove(last);
            return true;
        }
        if (parent instanceof ArrayNode a && last.matches("\\d+") && Integer.parseInt(last) < a.size()) {
            int idx = Integer.parseInt(last);
            if (a.get(idx) instanceof ObjectNode o && o.isEmpty()) {
                a.remove(idx);
            } else {
                a.set(idx, a.objectNode());
            }
            return true;
        }
        return false;
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
            c = c.withStorage(new StorageConfig(abs(base, st.path()), null, st.user(), st.password(), st.chainKey()));
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
                    .addDeserializer(RunbookStep.class, new StepReader())
                    .addDeserializer(java.time.LocalDate.class, new FromStringDeserializer<>(java.time.LocalDate.class) {
                        @Override
                        protected java.time.LocalDate _deserialize(String value, DeserializationContext ctxt) {
                            try {
                                return java.time.LocalDate.parse(value.strip());
                            } catch (java.time.DateTimeException e) {
                                throw new IllegalArgumentException("not a date like 2026-11-30: " + value);
                            }
                        }
                    })
                    .addDeserializer(ZoneId.class, new FromStringDeserializer<>(ZoneId.class) {
                        @Override
                        protected ZoneId _deserialize(String value, DeserializationContext ctxt) {
                            try {
                                return ZoneId.of(value);
                            } catch (java.time.DateTimeException e) {
                                throw new IllegalArgumentException(e.getMessage());
                            }
                        }
                    }))
            .build();

}
