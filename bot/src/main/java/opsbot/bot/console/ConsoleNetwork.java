package opsbot.bot.console;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.commands.policy.Identity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Consumer;

/**
 * The demo's chat: lines from stdin are said by a local admin in {@code #ops}; replies go to stdout.
 * Reading is driven by {@link #readAll} so the demo can finish work and exit at end of input.
 */
public final class ConsoleNetwork implements ChatNetwork {
    public static final String CHANNEL = "#ops";
    public static final String ACCOUNT = "you";

    private final PrintStream out;
    private Consumer<Inbound> inbox;

    public ConsoleNetwork(PrintStream out) {
        this.out = out;
    }

    /** Its own reader thread: waiting holds nothing up but the reading itself. */
    @Override
    public boolean readerMayWait() {
        return true;
    }

    @Override
    public String name() {
        return "console";
    }

    @Override
    public void start(Consumer<Inbound> inbox) {
        this.inbox = inbox;
    }

    /**
     * Feeds every line of input to the bot, echoing it as a chat transcript would; {@code afterEach} runs after
     * each line (the non-interactive demo waits there for the answer, so the transcript reads in order).
     */
    public void readAll(BufferedReader in, boolean echo, Runnable afterEach) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (echo) {
                synchronized (out) {
                    out.println("<you> " + line);
                }
            }
            inbox.accept(new Inbound(name(), CHANNEL, ACCOUNT, new Identity.Local(ACCOUNT), line));
            afterEach.run();
        }
    }

    @Override
    public void send(String target, List<String> lines) {
        synchronized (out) {
            for (String l : lines) {
                out.println("<opsbot> " + l);
            }
            out.flush();
        }
    }

    @Override
    public String selfName() {
        return "opsbot";
    }

    @Override
    public void close() {
        out.flush();
    }
}
