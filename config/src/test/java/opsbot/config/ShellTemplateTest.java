package opsbot.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Which run: templates the shell lexer accepts, and why it refuses the others. */
class ShellTemplateTest {
    private static ShellTemplate.Analysis ok(String t) {
        ShellTemplate.Analysis a = ShellTemplate.analyse(t);
        assertTrue(a.safe(), t + " should be accepted, refused: " + a.refusals());
        return a;
    }

    private static String refused(String t) {
        ShellTemplate.Analysis a = ShellTemplate.analyse(t);
        assertFalse(a.safe(), t + " should be refused");
        return String.join(" | ", a.refusals());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "utils/FailOver.pl {flags} {host}",
            "srv all {action}",
            "logger -t ops -- {why}",
            "grep -r -- {pat} /var/log/mail.log",
            "journalctl --since=-{d}s",              // glued on the right: refused below; this one has no placeholder
            "journalctl --unit={unit} -n 50",
            "sudo systemctl restart {svc}",
            "sudo -u postfix -- postqueue -p {x}",
            "timeout 30 mailq {x}",
            "env LC_ALL=C nice -n 5 tool {x}",
            "tool {x} 2>&1 | grep -v noise; echo done",
            "tool {x} > /tmp/out.log",
            "for h in a b; do tool {x} -- $h; done",
            "case {x} in start) tool go;; esac",      // the case subject is matched, never stored nor split
            "find . -name {x}",                       // "." is the current directory here, not the builtin
            "tool {x} 2>/dev/null",
            "echo {x} > /tmp/out.log",
            "printf '%s\\n' {x}",
            "cd /srv && ./deploy.sh {env}",
            "adjtimex --print | grep -E 'status|offset'",
            "sha256sum {file}",
            "if tool {x}; then echo ok; fi",
            "tool 'a literal # not a comment' {x}",
    })
    void accepted(String t) {
        if (t.contains("{d}")) {
            refused(t);
        } else {
            ok(t);
        }
    }

    @Test
    void usesKnowWhetherAValueCouldBeAnOption() {
        ShellTemplate.Analysis a = ok("grep -r {flags} --max-count={n} -- {pat} {file}");
        assertEquals(List.of(
                new ShellTemplate.Use("flags", ShellTemplate.Position.WORD, false),
                new ShellTemplate.Use("n", ShellTemplate.Position.OPTION_VALUE, false),
                new ShellTemplate.Use("pat", ShellTemplate.Position.WORD, true),
                new ShellTemplate.Use("file", ShellTemplate.Position.WORD, true)), a.uses());
        assertTrue(a.uses("flags").get(0).optionLike());
        assertFalse(a.uses("n").get(0).optionLike());
        assertFalse(a.uses("pat").get(0).optionLike());
        // "--" belongs to the command it is in: the next command of a pipeline starts over.
        assertTrue(ok("tool -- {a} | other {b}").uses("b").get(0).optionLike());
        // sudo's own "--" is not the program's.
        assertTrue(ok("sudo -- tool {x}").uses("x").get(0).optionLike());
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                // the template from the issue: chat text inside the template's own single quotes
                Arguments.of("logger -t ops 'fo: {why}'", "inside single quotes"),
                Arguments.of("logger -t ops \"fo: {why}\"", "inside double quotes"),
                Arguments.of("echo \"$(date) {why}\"", "inside double quotes"),
                Arguments.of("echo $({why})", "inside a $(…) substitution"),
                Arguments.of("echo `tool {why}`", "inside a `…` command substitution"),
                Arguments.of("echo ${why}", "follows a $"),
                Arguments.of("echo ${HOME:-{why}}", "inside a ${…} expansion"),
                Arguments.of("echo $'{why}'", "inside $'…' quotes"),
                Arguments.of("echo \\{why}", "follows a backslash"),
                Arguments.of("echo x{why}", "glued to other text"),
                Arguments.of("echo {why}.log", "glued to other text"),
                Arguments.of("echo ~{why}", "glued to other text"),
                Arguments.of("echo {a}{b}", "glued to other text"),
                Arguments.of("FOO={why} tool", "sets the variable FOO"),
                Arguments.of("echo --x='{why}'", "inside single quotes"),
                Arguments.of("tool # {why}", "in a comment"),
                Arguments.of("tool > {why}", "target of a redirection"),
                Arguments.of("tool 2>>{why}", "target of a redirection"),
                Arguments.of("tool <<< {why}", "target of a redirection"),
                Arguments.of("{why} --now", "the program to run"),
                Arguments.of("tool; {why}", "the program to run"),
                Arguments.of("sudo {why}", "the program"),
                Arguments.of("sudo -u {why} tool", "an option of sudo"),
                Arguments.of("timeout {why} tool", "an operand of timeout"),
                Arguments.of("env X=1 {why}", "the program"),
                Arguments.of("sh -c {why}", "runs sh"),
                Arguments.of("sh -c 'tool \"$1\"' sh {why}", "runs sh"),
                Arguments.of("/bin/bash -c {why}", "runs bash"),
                Arguments.of("dash -c {why}", "runs dash"),
                Arguments.of("zsh -c {why}", "runs zsh"),
                Arguments.of("eval {why}", "runs eval"),
                Arguments.of("ssh admin1 {why}", "runs ssh"),
                Arguments.of("su -c {why} root", "runs su"),
                Arguments.of("sudo -s {why}", "runs sudo -s"),
                Arguments.of("sudo -iu root {why}", "runs sudo -i"),
                Arguments.of("sudo --login {why}", "runs sudo --login"),
                Arguments.of("env sh -c {why}", "runs sh"),
                Arguments.of("env -S {why}", "runs env -S"),
                Arguments.of("sudo env bash -c {why}", "runs bash"),
                Arguments.of("exec sh -c {why}", "runs sh"),
                Arguments.of("nice xargs {why}", "runs xargs"),
                Arguments.of("echo {why} | sh", "runs sh"),
                Arguments.of("echo {why} | xargs rm", "runs xargs"),
                Arguments.of("printf %s {why} > /tmp/x; . /tmp/x", "runs ."),
                Arguments.of("source {why}", "runs source"),
                Arguments.of("read x <<< y; tool {why}", "runs read"),
                Arguments.of("awk -v x={why} 'BEGIN{print x}'", "runs awk"),
                Arguments.of("sed -n {why} /etc/passwd", "runs sed"),
                Arguments.of("watch tool {why}", "runs watch"),
                Arguments.of("$TOOL {why}", "named by an expansion"),
                Arguments.of("sudo -Z tool {why}", "does not know sudo's option -Z"),
                Arguments.of("[[ {why} -eq 1 ]]", "bash's [["),
                Arguments.of("printf -v out %s {why}", "printf -v"),
                Arguments.of("test -v {why}", "test -v"),
                Arguments.of("find /srv -name x -exec {why} +", "find -exec"),
                Arguments.of("cat <<EOF\n{why}\nEOF", "here-document"),
                Arguments.of("tool 'unterminated {why}", "unterminated single quote"),
                Arguments.of("{ sh -c {why}; }", "runs sh"),
                Arguments.of("python3.11 -c {why}", "runs python3.11"),
                Arguments.of("bash5 -c {why}", "runs bash5"),
                Arguments.of("\\sh -c {why}", "runs sh"),
                Arguments.of("'sh' -c {why}", "runs sh"),
                Arguments.of("hash -p {why} ls; ls", "runs hash"),
                Arguments.of("compgen -C {why} x", "runs compgen"),
                Arguments.of("timeout -s KILL 5 sh -c {why}", "runs sh"),
                Arguments.of("exec -a name bash -c {why}", "runs bash"),
                Arguments.of("env -i PATH=/bin -- dash -c {why}", "runs dash"),
                Arguments.of("! {why}", "the program to run"),
                // a code runner behind a program opsbot does not know as a wrapper
                Arguments.of("numactl -N 0 sh -c {cmd}", "hands sh to numactl"),
                Arguments.of("setarch x86_64 bash -c {cmd}", "hands bash to setarch"),
                Arguments.of("ip netns exec ns1 sh -c {cmd}", "hands sh to ip"),
                Arguments.of("ip netns exec ns1 /usr/bin/python3.11 {cmd}", "hands python3.11 to ip"),
                Arguments.of("numactl -N 0 eval {cmd}", "hands eval to numactl"),
                Arguments.of("tool {x} | numactl -N 0 xargs rm", "hands xargs to numactl"),
                Arguments.of("tool {x}; nsexec --shell=/bin/sh run", "hands sh to nsexec"),
                Arguments.of("sudo numactl -N 0 perl -e {cmd}", "hands perl to numactl"),
                // the loop variable carries the value into its unquoted uses
                Arguments.of("for f in {name}; do ls -l /var/log/$f; done", "word list of for"),
                Arguments.of("for f in a {name} b; do ls $f; done", "variable f"),
                Arguments.of("select f in {name}; do ls $f; done", "word list of select"),
                Arguments.of("tool {x}; ls $_", "uses $_"),
                // no space before a redirection: a value of digits would be a file descriptor
                Arguments.of("echo {x}>/tmp/f", "glued to the redirection >"),
                Arguments.of("tool {x}<in", "glued to the redirection <"),
                Arguments.of("tool --opt={x}>>/tmp/f", "glued to the redirection >"));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void refusedWithTheReason(String template, String reason) {
        String why = refused(template);
        assertTrue(why.contains(reason), template + " → " + why);
    }

    /** find reads any argument starting with - as its expression, after -- too; test and expr know no --. */
    @ParameterizedTest
    @ValueSource(strings = {"find -- {dir} -maxdepth 1", "find /srv -- {dir}", "sudo find -- {dir}",
            "test -- {x} = y", "[ -- {x} = y ]", "expr -- {x} + 1"})
    void doubleDashDoesNotEndTheOptionsOfSomeTools(String t) {
        ShellTemplate.Use use = ok(t).uses().get(0);
        assertTrue(use.optionLike(), t + ": a value starting with - must be refused at run time");
        assertFalse(ok("tool -- {x} | find /srv").uses("x").get(0).optionLike(), "only find's own arguments");
    }

    @Test
    void placeholdersInQuotesAreRefusedButPlainQuotedTextIsFine() {
        ok("tool 'has spaces' \"and $HOME\" {x}");
        assertTrue(refused("tool '{x}'").startsWith("{x} is inside single quotes"));
    }

    @Test
    void aTemplateWithoutPlaceholdersMayRunAnything() {
        ok("sh -c 'srv all status | head'");
        ok("sudo -s /sbin/reboot");
    }

    @Test
    void unterminatedQuoteIsRefusedEvenWithoutPlaceholders() {
        assertTrue(refused("echo 'oops").contains("unterminated single quote"));
    }
}
