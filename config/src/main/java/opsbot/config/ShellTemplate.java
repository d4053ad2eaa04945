package opsbot.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code run:} template read the way the POSIX shell on the host will read it, so that check-config can
 * refuse every template where a value from chat could leave its quoting or be run as code.
 *
 * <p>opsbot single-quotes each value itself. That is only safe where the shell takes the quoted value as
 * one plain argument, so a placeholder is accepted in exactly two positions:
 * <ul>
 * <li>a whole unquoted word: {@code tool {host}};</li>
 * <li>the value of a long or short option written {@code --name={x}} or {@code -n={x}}: the prefix is plain
 *     letters, digits, {@code _ . -} and ends in {@code =}, so the shell expands nothing in it, the quoted
 *     value is glued to it as one word, and a value starting with {@code -} cannot be read as an option.
 *     Values that become several words ({@code hosts}, {@code {flags}}) cannot stand there.</li>
 * </ul>
 * Everything else is refused: inside single or double quotes (the value's quotes would close the
 * template's), after a backslash or a {@code $}, inside {@code $(…)}, backticks or {@code ${…}}, glued to
 * other text, in a comment, as a redirection target (chat would pick the file) or glued to a {@code <}/{@code >}
 * (a value of digits would be a file descriptor), in a here-document template, as the program to run, as a
 * wrapper's option ({@code sudo -u {x}}), inside bash's {@code [[ ]]}, after {@code find -exec}, in
 * {@code printf -v} / {@code test -v}, and in the word list of {@code for}/{@code select} (the loop variable
 * would carry the value into uses opsbot cannot quote; the subject of {@code case} is fine: it is only
 * matched). A template using {@code $_} may hold no placeholder. For find, test/[ and expr a {@code --}
 * does not end the options (see {@link #NO_END_OF_OPTIONS}).
 *
 * <p>A template that runs a command which can run its input, a file or its operands as code — a shell
 * ({@code sh -c}, {@code bash}, …), {@code eval}, {@code source}/{@code .}, {@code ssh}, {@code su},
 * {@code sudo -s}/{@code -i}, {@code env -S}, {@code xargs}, {@code watch}, an interpreter ({@code awk},
 * {@code sed}, {@code perl}, {@code python}, …), variable-setting builtins ({@code read}, {@code export},
 * {@code declare}, …), see {@link #RUNS_CODE} — may hold no placeholder at all, anywhere: a value could
 * reach it through a pipe, a file or a variable. The same holds when a program is named by an expansion
 * ({@code $CMD}). Wrappers that run their remaining arguments as a plain argv ({@code sudo}, {@code env},
 * {@code timeout}, {@code nice}, … see {@link #WRAPPERS}) are looked through to the program they run; an
 * option of theirs that opsbot does not know refuses the template, because it cannot tell which word is
 * run. A code runner named anywhere else in the template, as an argument of a program opsbot does not
 * know ({@code numactl -N 0 sh -c {x}}, {@code ip netns exec ns1 sh -c {x}}, {@code --shell=/bin/sh}),
 * refuses it too, except the builtins that act only as a command's first word ({@link #BUILTINS_ONLY}). A tool
 * that runs code given in some other form ({@code git -c}) is not recognised: never put a placeholder where
 * such a tool expects code.
 */
public final class ShellTemplate {
    /**
     * Commands that run shell code or a program text given as an operand, on stdin, or from a file, or
     * that set shell variables from their arguments (so that a later expansion could run it).
     */
    static final Set<String> RUNS_CODE = Set.of(
            "sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "ash", "yash", "posh", "rbash",
            "busybox", "fish", "csh", "tcsh", "eval", "source", ".", "trap", "alias", "ssh", "scp", "rsync",
            "su", "runuser", "pkexec", "machinectl", "xargs", "parallel", "watch", "script", "at", "batch",
            "crontab", "systemd-run", "nsenter", "unshare", "chrt", "taskset", "chpst", "cgexec", "firejail",
            "bwrap", "sg", "newgrp", "strace", "ltrace", "gdb", "valgrind", "faketime", "unbuffer", "expect",
            "docker", "podman", "kubectl", "lxc", "lxc-attach", "incus", "perl", "python", "python2", "python3",
            "ruby", "node", "nodejs", "php", "lua", "tclsh", "wish", "awk", "gawk", "mawk", "nawk", "sed",
            "let", "declare", "typeset", "local", "export", "readonly", "unset", "read", "mapfile",
            "readarray", "set", "getopts", "fc", "enable", "coproc", "hash", "compgen", "complete", "wait");

    /**
     * Names in {@link #RUNS_CODE} that are shell builtins acting only as a command's first word: handed to
     * another program as an argument they are plain words (exec cannot run a builtin), and {@code .} is
     * also the current directory ({@code find . -name {x}}). Every other code runner is refused wherever
     * it is named, because a program opsbot does not know may run its arguments ({@code numactl -N 0 sh -c
     * {x}}, {@code ip netns exec ns1 sh -c {x}}).
     */
    private static final Set<String> BUILTINS_ONLY = Set.of(".", "trap", "alias", "let", "declare", "typeset",
            "local", "export", "readonly", "unset", "read", "mapfile", "readarray", "set", "getopts", "fc", "enable",
            "coproc", "hash", "compgen", "complete", "wait");

    /**
     * Programs for which {@code --} does not end the options: find reads any argument starting with
     * {@code -} as an expression ({@code -delete}) even after {@code --}; test/[ and expr take {@code --} as
     * an operand. A value starting with {@code -} is therefore refused anywhere in their arguments.
     */
    static final Set<String> NO_END_OF_OPTIONS = Set.of("find", "test", "[", "expr");

    /** How a wrapper reads its own options before the program it runs. */
    private record Wrapper(String argShort, String flagShort, String shellShort, Set<String> argLong,
                           Set<String> flagLong, Set<String> shellLong, int operands, boolean assignments) {
    }

    /** Commands that run their remaining arguments as a plain argv, with their option syntax. */
    static final Map<String, Wrapper> WRAPPERS = Map.ofEntries(
            Map.entry("sudo", new Wrapper("CDghpRrtTUu", "AbEHKkLlnPSBNV", "si",
                    Set.of("--user", "--group", "--chdir", "--chroot", "--close-from", "--host", "--prompt", "--role",
                            "--type", "--command-timeout", "--other-user", "--login-class"),
                    Set.of("--preserve-env", "--set-home", "--non-interactive", "--background", "--askpass",
                            "--stdin", "--reset-timestamp", "--remove-timestamp", "--preserve-groups", "--bell"),
                    Set.of("--shell", "--login", "--edit"), 0, false)),
            Map.entry("doas", new Wrapper("uC", "n", "s", Set.of(), Set.of(), Set.of(), 0, false)),
            Map.entry("env", new Wrapper("uC", "i0v", "S", Set.of("--unset", "--chdir"),
                    Set.of("--ignore-environment", "--null", "--debug"), Set.of("--split-string"), 0, true)),
            Map.entry("nice", new Wrapper("n", "", "", Set.of("--adjustment"), Set.of(), Set.of(), 0, false)),
            Map.entry("nohup", new Wrapper("", "", "", Set.of(), Set.of(), Set.of(), 0, false)),
            Map.entry("timeout", new Wrapper("sk", "v", "", Set.of("--signal", "--kill-after"),
                    Set.of("--preserve-status", "--foreground", "--verbose"), Set.of(), 1, false)),
            Map.entry("ionice", new Wrapper("cnp", "t", "", Set.of("--class", "--classdata", "--pid"),
                    Set.of("--ignore"), Set.of(), 0, false)),
            Map.entry("setsid", new Wrapper("", "cfw", "", Set.of(), Set.of("--ctty", "--fork", "--wait"), Set.of(), 0, false)),
            Map.entry("stdbuf", new Wrapper("ioe", "", "", Set.of("--input", "--output", "--error"), Set.of(), Set.of(), 0, false)),
            Map.entry("chroot", new Wrapper("", "", "", Set.of("--userspec", "--groups"), Set.of("--skip-chdir"), Set.of(), 1, false)),
            Map.entry("time", new Wrapper("fo", "apqv", "", Set.of("--format", "--output"),
                    Set.of("--append", "--portability", "--verbose", "--quiet"), Set.of(), 0, false)),
            Map.entry("exec", new Wrapper("a", "cl", "", Set.of(), Set.of(), Set.of(), 0, false)),
            Map.entry("command", new Wrapper("", "pvV", "", Set.of(), Set.of(), Set.of(), 0, false)),
            Map.entry("builtin", new Wrapper("", "", "", Set.of(), Set.of(), Set.of(), 0, false)),
            Map.entry("flock", new Wrapper("wE", "sxuno", "c", Set.of("--wait", "--timeout", "--conflict-exit-code"),
                    Set.of("--shared", "--exclusive", "--unlock", "--nonblock", "--close", "--no-fork", "--verbose"),
                    Set.of("--command"), 1, false)));

    /** Words that may stand before the program of a command and leave the next word in program position. */
    private static final Set<String> PREFIX_WORDS = Set.of("!", "if", "then", "else", "elif", "do", "while", "until", "{");
    /** Compound-command headers: their words are a list or a subject, not a program and its arguments. */
    private static final Set<String> HEADERS = Set.of("for", "select", "case", "in", "fi", "done", "esac", "}", "function");
    private static final Pattern OPTION_PREFIX = Pattern.compile("--?[A-Za-z0-9][A-Za-z0-9_.-]*=");

    private ShellTemplate() {
    }

    /** Where a placeholder stands in a safe template. */
    public enum Position {
        /** A whole word of its own. */
        WORD,
        /** Glued to a plain {@code --name=} prefix. */
        OPTION_VALUE
    }

    /**
     * One use of a placeholder.
     *
     * @param afterEndOfOptions a literal {@code --} stands between the program and this word
     */
    public record Use(String name, Position position, boolean afterEndOfOptions) {
        /** Whether a value starting with {@code -} would reach the program as an option here. */
        public boolean optionLike() {
            return position == Position.WORD && !afterEndOfOptions;
        }
    }

    /**
     * What the shell makes of a template.
     *
     * @param refusals why the template is unsafe, one plain sentence each; empty when it is safe
     */
    public record Analysis(List<Use> uses, List<String> refusals) {
        public boolean safe() {
            return refusals.isEmpty();
        }

        public List<Use> uses(String name) {
            return uses.stream().filter(u -> u.name().equals(name)).toList();
        }
    }

    public static Analysis analyse(String template) {
        return new Lexer(template).run();
    }

    private enum Kind { LITERAL, QUOTED, EXPANSION, PLACEHOLDER }

    private record Part(Kind kind, String text) {
    }

    private static final class Word {
        final List<Part> parts = new ArrayList<>();
        boolean redirectTarget;

        boolean hasPlaceholder() {
            return parts.stream().anyMatch(p -> p.kind() == Kind.PLACEHOLDER);
        }

        /** The word's value if it has no expansion or placeholder, else null. */
        String literal() {
            StringBuilder b = new StringBuilder();
            for (Part p : parts) {
                if (p.kind() == Kind.EXPANSION || p.kind() == Kind.PLACEHOLDER) {
                    return null;
                }
                b.append(p.text());
            }
            return b.toString();
        }

        List<String> placeholders() {
            return parts.stream().filter(p -> p.kind() == Kind.PLACEHOLDER).map(Part::text).toList();
        }
    }

    private static final class Lexer {
        private final String s;
        private final Map<Integer, String> placeholders = new HashMap<>(); // start -> name
        private final Set<Integer> seen = new HashSet<>();
        private final Set<String> refusals = new LinkedHashSet<>();
        private final List<List<Word>> commands = new ArrayList<>();
        private final List<Use> uses = new ArrayList<>();
        /** The program the command being analysed runs, wrappers looked through; null until known. */
        private String resolvedProgram;
        /** Words already refused as the code-running program of their command (compared by identity). */
        private final Set<Word> programs = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        private List<Word> command = new ArrayList<>();
        private Word word;
        private boolean redirectPending;
        private boolean hereDoc;
        private int i;

        Lexer(String s) {
            this.s = s;
            Matcher m = CommandSpec.PLACEHOLDER.matcher(s);
            while (m.find()) {
                placeholders.put(m.start(), m.group(1));
            }
        }

        Analysis run() {
            lex();
            if (!placeholders.isEmpty()) {
                analyseCommands();
            }
            for (Map.Entry<Integer, String> p : placeholders.entrySet()) {
                if (!seen.contains(p.getKey())) {
                    refuse(p.getValue(), "stands where the shell does not read it as a word of its own");
                }
            }
            return new Analysis(List.copyOf(uses), List.copyOf(refusals));
        }

        // ---- lexing -----------------------------------------------------------------------------------

        private void lex() {
            i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                String ph = placeholders.get(i);
                if (ph != null) {
                    seen.add(i);
                    part(Kind.PLACEHOLDER, ph);
                    i += ph.length() + 2;
                    continue;
                }
                switch (c) {
                    case ' ', '\t' -> {
                        endWord();
                        i++;
                    }
                    case '\n', ';', '&', '|', '(', ')' -> operator(c);
                    case '<', '>' -> redirect(c);
                    case '#' -> {
                        if (word == null) {
                            int end = s.indexOf('\n', i);
                            end = end < 0 ? s.length() : end;
                            refuseInside(i, end, "is in a comment, where it does nothing");
                            i = end;
                        } else {
                            literal(c);
                            i++;
                        }
                    }
                    case '\\' -> {
                        if (i + 1 >= s.length()) {
                            literal(c);
                            i++;
                        } else {
                            if (placeholders.containsKey(i + 1)) {
                                seen.add(i + 1);
                                refuse(placeholders.get(i + 1), "follows a backslash, which would break opsbot's quoting of it");
                            }
                            if (s.charAt(i + 1) != '\n') {
                                literal(s.charAt(i + 1));
                            }
                            i += 2;
                        }
                    }
                    case '\'' -> {
                        int end = s.indexOf('\'', i + 1);
                        if (end < 0) {
                            refusals.add("the template has an unterminated single quote");
                            end = s.length();
                        }
                        refuseInside(i + 1, end, "is inside single quotes: the quotes opsbot puts around every value"
                                + " would close yours; write it as a word of its own");
                        part(Kind.QUOTED, s.substring(i + 1, end));
                        i = end + 1;
                    }
                    case '"' -> doubleQuoted();
                    case '`' -> {
                        int end = skipBackticks(i);
                        refuseInside(i, end, "is inside a `…` command substitution");
                        part(Kind.EXPANSION, s.substring(i, Math.min(end, s.length())));
                        i = end;
                    }
                    case '$' -> dollar();
                    default -> {
                        literal(c);
                        i++;
                    }
                }
            }
            endWord();
            endCommand();
        }

        private void doubleQuoted() {
            int start = i;
            int j = i + 1;
            StringBuilder text = new StringBuilder();
            boolean expands = false;
            while (j < s.length() && s.charAt(j) != '"') {
                char c = s.charAt(j);
                if (c == '\\' && j + 1 < s.length()) {
                    text.append(s.charAt(j + 1));
                    j += 2;
                } else if (c == '$' && j + 1 < s.length() && (s.charAt(j + 1) == '(' || s.charAt(j + 1) == '{')) {
                    j = skipNested(j + 1);
                    expands = true;
                } else if (c == '`') {
                    j = skipBackticks(j);
                    expands = true;
                } else {
                    if (c == '$') {
                        expands = true;
                    }
                    text.append(c);
                    j++;
                }
            }
            if (j >= s.length()) {
                refusals.add("the template has an unterminated double quote");
            }
            refuseInside(start + 1, Math.min(j, s.length()), "is inside double quotes: the quotes opsbot puts around"
                    + " every value would close yours; write it as a word of its own");
            part(expands ? Kind.EXPANSION : Kind.QUOTED, text.toString());
            i = j + 1;
        }

        private void dollar() {
            int next = i + 1;
            if (next < s.length() && placeholders.containsKey(next)) {
                // "${x}": the shell reads a variable named x; opsbot's value would never arrive.
                String name = placeholders.get(next);
                seen.add(next);
                refuse(name, "follows a $: the shell would expand ${" + name + "} as a variable");
                int end = next + name.length() + 2;
                part(Kind.EXPANSION, s.substring(i, end));
                i = end;
                return;
            }
            if (next < s.length() && (s.charAt(next) == '(' || s.charAt(next) == '{')) {
                int end = skipNested(next);
                refuseInside(i, end, s.charAt(next) == '(' ? "is inside a $(…) substitution" : "is inside a ${…} expansion");
                part(Kind.EXPANSION, s.substring(i, Math.min(end, s.length())));
                i = end;
                return;
            }
            if (next < s.length() && s.charAt(next) == '\'') { // bash $'…'
                int j = next + 1;
                while (j < s.length() && s.charAt(j) != '\'') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                refuseInside(i, Math.min(j, s.length()), "is inside $'…' quotes");
                part(Kind.QUOTED, s.substring(next + 1, Math.min(j, s.length())));
                i = j + 1;
                return;
            }
            if (next < s.length() && (Character.isLetterOrDigit(s.charAt(next)) || "_@*#?$!-".indexOf(s.charAt(next)) >= 0)) {
                int j = next + 1;
                if (Character.isLetter(s.charAt(next)) || s.charAt(next) == '_') {
                    while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
                }
                part(Kind.EXPANSION, s.substring(i, j));
                i = j;
                return;
            }
            literal('$');
            i++;
        }

        /** Index just past the bracket that closes the one at {@code open}, skipping quotes inside. */
        private int skipNested(int open) {
            char o = s.charAt(open), c = o == '(' ? ')' : '}';
            int depth = 0;
            int j = open;
            while (j < s.length()) {
                char x = s.charAt(j);
                if (x == '\\') {
                    j += 2;
                    continue;
                }
                if (x == '\'') {
                    int end = s.indexOf('\'', j + 1);
                    j = end < 0 ? s.length() : end + 1;
                    continue;
                }
                if (x == '"') {
                    j++;
                    while (j < s.length() && s.charAt(j) != '"') j += s.charAt(j) == '\\' ? 2 : 1;
                    j++;
                    continue;
                }
                if (x == '`') {
                    j = skipBackticks(j);
                    continue;
                }
                if (x == o) {
                    depth++;
                } else if (x == c && --depth == 0) {
                    return j + 1;
                }
                j++;
            }
            refusals.add("the template has an unclosed " + (o == '(' ? "$(" : "${"));
            return s.length();
        }

        private int skipBackticks(int open) {
            int j = open + 1;
            while (j < s.length() && s.charAt(j) != '`') j += s.charAt(j) == '\\' ? 2 : 1;
            if (j >= s.length()) {
                refusals.add("the template has an unterminated backtick");
                return s.length();
            }
            return j + 1;
        }

        private void refuseInside(int from, int to, String why) {
            for (Map.Entry<Integer, String> p : placeholders.entrySet()) {
                if (p.getKey() >= from && p.getKey() < to) {
                    seen.add(p.getKey());
                    refuse(p.getValue(), why);
                }
            }
        }

        private void operator(char c) {
            endWord();
            char n = i + 1 < s.length() ? s.charAt(i + 1) : 0;
            if (c == '&' && n == '>') { // bash &> and &>>: a redirection
                i += 2;
                if (i < s.length() && s.charAt(i) == '>') i++;
                redirectPending = true;
                return;
            }
            if ((c == '&' || c == '|' || c == ';') && n == c || c == '|' && n == '&') {
                i++;
            }
            i++;
            endCommand();
        }

        private void redirect(char c) {
            if (word != null && word.hasPlaceholder()) {
                // With no space before < or >, a value of digits would be read as a file descriptor: 2>/tmp/f.
                word.placeholders().forEach(n -> refuse(n, "is glued to the redirection " + c + " that follows it;"
                        + " put a space between them"));
            }
            if (word != null) {
                String lit = word.literal();
                if (lit != null && !lit.isEmpty() && lit.chars().allMatch(Character::isDigit) && word.parts.stream()
                        .allMatch(p -> p.kind() == Kind.LITERAL)) {
                    word = null; // an IO number: 2>file
                } else {
                    endWord();
                }
            }
            i++;
            if (c == '<' && i < s.length() && s.charAt(i) == '<') {
                i++;
                if (i < s.length() && s.charAt(i) == '<') {
                    i++; // bash here-string <<<: its word is a redirection target like any other
                } else {
                    hereDoc = true;
                    if (i < s.length() && s.charAt(i) == '-') i++;
                }
            } else if (i < s.length() && (s.charAt(i) == '>' || s.charAt(i) == '&' || s.charAt(i) == '|'
                    || c == '<' && s.charAt(i) == '>')) {
                i++;
            }
            redirectPending = true;
        }

        private void literal(char c) {
            part(Kind.LITERAL, String.valueOf(c));
        }

        private void part(Kind kind, String text) {
            if (word == null) {
                word = new Word();
            }
            List<Part> parts = word.parts;
            if (kind == Kind.LITERAL && !parts.isEmpty() && parts.get(parts.size() - 1).kind() == Kind.LITERAL) {
                parts.set(parts.size() - 1, new Part(Kind.LITERAL, parts.get(parts.size() - 1).text() + text));
            } else {
                parts.add(new Part(kind, text));
            }
        }

        private void endWord() {
            if (word != null) {
                word.redirectTarget = redirectPending;
                redirectPending = false;
                command.add(word);
                word = null;
            }
        }

        private void endCommand() {
            if (!command.isEmpty()) {
                commands.add(command);
            }
            command = new ArrayList<>();
        }

        // ---- what the words mean ---------------------------------------------------------------------

        private void analyseCommands() {
            if (hereDoc) {
                refusals.add("the template has a here-document (<<), whose text the shell expands: it may not"
                        + " hold placeholders; pass the values as arguments instead");
                return;
            }
            for (List<Word> cmd : commands) {
                List<Word> words = new ArrayList<>();
                for (Word w : cmd) {
                    if (w.redirectTarget) {
                        w.placeholders().forEach(n -> refuse(n, "is the target of a redirection: chat would choose"
                                + " which file is read or written"));
                    } else {
                        words.add(w);
                    }
                }
                resolvedProgram = null;
                analyseCommand(words);
                codeRunnersAsArguments(cmd, resolvedProgram);
            }
            if (commands.stream().flatMap(List::stream).flatMap(w -> w.parts.stream())
                    .anyMatch(p -> p.kind() == Kind.EXPANSION && (p.text().equals("$_") || p.text().equals("${_}")))) {
                refusals.add("the template uses $_, the last argument of the previous command, which may be a value"
                        + " from chat that the shell then splits and globs; name the value again instead");
            }
        }

        /** Refuses the template when a code runner is handed as an argument to some program. */
        private void codeRunnersAsArguments(List<Word> cmd, String program) {
            for (Word w : cmd) {
                String lit = w.redirectTarget ? null : w.literal();
                if (lit == null || lit.isEmpty()) {
                    continue;
                }
                if (program == null) {
                    if (assignment(w) == null && !PREFIX_WORDS.contains(lit)) {
                        program = lit.substring(lit.lastIndexOf('/') + 1);
                    }
                    continue;
                }
                if (programs.contains(w)) {
                    continue; // already refused as the program it is
                }
                for (String cand : lit.indexOf('=') > 0 ? List.of(lit, lit.substring(lit.indexOf('=') + 1)) : List.of(lit)) {
                    String name = cand.substring(cand.lastIndexOf('/') + 1);
                    if (codeRunner(name) && !BUILTINS_ONLY.contains(name)) {
                        refusals.add("the template hands " + name + " to " + program + ", which may run it: " + name
                                + " can run its input, a file or its operands as code, so no value from chat may go into"
                                + " such a template; put the commands in a script on the host and pass the values to it"
                                + " as arguments");
                        break;
                    }
                }
            }
        }

        private static boolean codeRunner(String name) {
            return RUNS_CODE.contains(name) || RUNS_CODE.contains(name.replaceFirst("[0-9.]+$", ""));
        }

        private void analyseCommand(List<Word> words) {
            int k = 0;
            while (k < words.size() && assignment(words.get(k)) != null) {
                Word w = words.get(k);
                String var = assignment(w);
                w.placeholders().forEach(n -> refuse(n, "sets the variable " + var + " for the command: chat would"
                        + " choose its environment (PATH, LD_PRELOAD, …)"));
                k++;
            }
            // Glued and assignment positions are judged word by word below; here: find the program.
            while (k < words.size()) {
                Word w = words.get(k);
                if (w.hasPlaceholder()) {
                    w.placeholders().forEach(n -> refuse(n, "is the program to run: chat would choose the command"));
                    refuseAll(words, k + 1, null);
                    return;
                }
                String lit = w.literal();
                if (lit == null) {
                    refusals.add("the template runs a program named by an expansion (" + text(w)
                            + "), which opsbot cannot check: it may not hold placeholders");
                    return;
                }
                String name = lit.substring(lit.lastIndexOf('/') + 1);
                if (PREFIX_WORDS.contains(lit)) {
                    k++;
                    continue;
                }
                if (lit.equals("for") || lit.equals("select")) {
                    String var = k + 1 < words.size() ? text(words.get(k + 1)) : "";
                    refuseAll(words, k + 1, "is in the word list of " + lit + ", which puts it in the variable " + var
                            + ", whose later uses opsbot cannot quote; pass the values to a script on the host instead");
                    return;
                }
                if (HEADERS.contains(lit)) {
                    judgeArguments(words, k + 1, null);
                    return;
                }
                if (lit.equals("[[") || lit.equals("((")) {
                    refuseAll(words, k + 1, "is inside bash's " + lit + " … test, which evaluates array subscripts as code");
                    return;
                }
                if (codeRunner(name)) {
                    programs.add(w);
                    runsCode(name);
                    return;
                }
                Wrapper wrapper = WRAPPERS.get(name);
                if (wrapper != null) {
                    int next = wrapped(name, wrapper, words, k + 1);
                    if (next < 0) {
                        return;
                    }
                    k = next;
                    continue;
                }
                resolvedProgram = name;
                judgeArguments(words, k + 1, name);
                return;
            }
        }

        /** The variable a {@code NAME=value} word sets, or null when the word is no assignment. */
        private static String assignment(Word w) {
            if (w.parts.isEmpty() || w.parts.get(0).kind() != Kind.LITERAL) {
                return null;
            }
            Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=").matcher(w.parts.get(0).text());
            return m.lookingAt() ? m.group(1) : null;
        }

        /** Index of the program a wrapper runs, or -1 when it refused the template. */
        private int wrapped(String name, Wrapper w, List<Word> words, int k) {
            while (k < words.size()) {
                Word word = words.get(k);
                if (word.hasPlaceholder()) {
                    break; // an operand or the program: both refused below
                }
                String lit = word.literal();
                if (lit == null) {
                    refusals.add("the template runs " + name + " with an expansion (" + text(word)
                            + ") where opsbot cannot tell what it runs: it may not hold placeholders");
                    return -1;
                }
                if (lit.equals("--")) {
                    k++;
                    break;
                }
                if (w.assignments() && assignment(word) != null) {
                    k++;
                    continue;
                }
                if (lit.startsWith("--") && lit.length() > 2) {
                    int eq = lit.indexOf('=');
                    String opt = eq < 0 ? lit : lit.substring(0, eq);
                    if (w.shellLong().contains(opt)) {
                        runsCode(name + " " + opt);
                        return -1;
                    }
                    if (w.argLong().contains(opt) || w.flagLong().contains(opt)) {
                        k += eq < 0 && w.argLong().contains(opt) ? 2 : 1;
                        continue;
                    }
                    unknownOption(name, opt, words, k);
                    return -1;
                }
                if (lit.startsWith("-") && lit.length() > 1) {
                    if (name.equals("nice") && lit.substring(1).chars().allMatch(Character::isDigit)) {
                        k++;
                        continue;
                    }
                    int consumed = 1;
                    for (int c = 1; c < lit.length(); c++) {
                        char ch = lit.charAt(c);
                        if (w.shellShort().indexOf(ch) >= 0) {
                            runsCode(name + " -" + ch);
                            return -1;
                        }
                        if (w.argShort().indexOf(ch) >= 0) {
                            if (c == lit.length() - 1) {
                                consumed = 2; // the next word is the option's argument
                                if (k + 1 < words.size() && words.get(k + 1).hasPlaceholder()) {
                                    refuseAll(words, k + 1, "would be an option of " + name);
                                    return -1;
                                }
                            }
                            break;
                        }
                        if (w.flagShort().indexOf(ch) < 0) {
                            unknownOption(name, "-" + ch, words, k);
                            return -1;
                        }
                    }
                    k += consumed;
                    continue;
                }
                break;
            }
            for (int o = 0; o < w.operands() && k < words.size(); o++, k++) {
                if (words.get(k).hasPlaceholder()) {
                    refuseAll(words, k, "would be an operand of " + name + " (which decides what it runs)");
                    return -1;
                }
            }
            return k;
        }

        private void unknownOption(String name, String opt, List<Word> words, int k) {
            if (words.stream().anyMatch(Word::hasPlaceholder)) {
                refusals.add("opsbot does not know " + name + "'s option " + opt + ", so it cannot tell which word "
                        + name + " runs; drop the option or put the call in a script on the host");
            }
        }

        /** The words after the program: each placeholder must be a word or an option value. */
        private void judgeArguments(List<Word> words, int from, String program) {
            boolean endOfOptions = false;
            boolean runsRest = false;
            for (int k = from; k < words.size(); k++) {
                Word w = words.get(k);
                String lit = w.literal();
                if (lit != null) {
                    if (lit.equals("--") && (program == null || !NO_END_OF_OPTIONS.contains(program))) endOfOptions = true;
                    if ("find".equals(program) && lit.matches("-(exec|execdir|ok|okdir)")) runsRest = true;
                    if (("printf".equals(program) && lit.equals("-v"))
                            || (("test".equals(program) || "[".equals(program)) && (lit.equals("-v") || lit.equals("-R")))) {
                        refuseAll(words, from, "is given to " + program + " " + lit + ", which bash evaluates as code");
                        return;
                    }
                    continue;
                }
                if (!w.hasPlaceholder()) {
                    continue;
                }
                if (runsRest) {
                    w.placeholders().forEach(n -> refuse(n, "follows find -exec, which runs what follows as a command"));
                    continue;
                }
                if (w.parts.size() == 1) {
                    uses.add(new Use(w.parts.get(0).text(), Position.WORD, endOfOptions));
                } else if (w.parts.size() == 2 && w.parts.get(0).kind() == Kind.LITERAL
                        && OPTION_PREFIX.matcher(w.parts.get(0).text()).matches()
                        && w.parts.get(1).kind() == Kind.PLACEHOLDER) {
                    uses.add(new Use(w.parts.get(1).text(), Position.OPTION_VALUE, endOfOptions));
                } else {
                    w.placeholders().forEach(n -> refuse(n, "is glued to other text (" + text(w) + "); write it as a word"
                            + " of its own, or as --option={" + n + "}"));
                }
            }
        }

        private void refuseAll(List<Word> words, int from, String why) {
            for (int k = from; k < words.size(); k++) {
                for (String n : words.get(k).placeholders()) {
                    refuse(n, why == null ? "follows a placeholder that is the program to run" : why);
                }
            }
        }

        private void runsCode(String what) {
            refusals.add("the template runs " + what + ", which can run its input, a file or its operands as code:"
                    + " no value from chat may go into such a template; put the commands in a script on the host"
                    + " and pass the values to it as arguments");
        }

        private void refuse(String name, String why) {
            refusals.add("{" + name + "} " + why);
        }

        private static String text(Word w) {
            StringBuilder b = new StringBuilder();
            for (Part p : w.parts) {
                b.append(switch (p.kind()) {
                    case PLACEHOLDER -> "{" + p.text() + "}";
                    case QUOTED -> "'" + p.text() + "'";
                    default -> p.text();
                });
            }
            return b.toString();
        }
    }
}
