package opsbot.commands.parse;

import opsbot.commands.model.Sanitize;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into words, honouring "double" and 'single' quotes (no escapes: what is between
 * quotes is taken literally). Quotes only group; they never make a value more trusted. A line with a bidi
 * embedding, override or isolate (U+202A–202E, U+2066–2069) is refused: it may be shown in the channel in
 * another order than the one that would run.
 */
public final class Tokenizer {
    private Tokenizer() {
    }

    /** A word, and whether any part of it was quoted (a quoted "-K" is a value, not a flag). */
    public record Word(String text, boolean quoted) {
    }

    public static List<Word> split(String line) throws ParseException {
        String bidi = Sanitize.bidiOverride(line);
        if (bidi != null) {
            throw new ParseException(bidiRefusal(bidi));
        }
        List<Word> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false, quoted = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    cur.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
                quoted = true;
            } else if (c == ' ' || c == '\t') {
                if (inWord) {
                    words.add(new Word(cur.toString(), quoted));
                    cur.setLength(0);
                    inWord = false;
                    quoted = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new ParseException("unterminated " + (quote == '"' ? "double" : "single") + " quote");
        }
        if (inWord) {
            words.add(new Word(cur.toString(), quoted));
        }
        return words;
    }

    /** Why a line with a bidi control is not taken (also for free text, which is not split into words). */
    public static String bidiRefusal(String codePoint) {
        return "refused: the line has a bidi control character (" + codePoint + "), which can make it look"
                + " different from what it says; type it again without";
    }

    /** The raw text after the first {@code n} words, for free-text arguments. */
    public static String rest(String line, int n) {
        int i = 0;
        for (int w = 0; w < n; w++) {
            while (i < line.length() && line.charAt(i) == ' ') i++;
            char quote = 0;
            while (i < line.length() && (quote != 0 || line.charAt(i) != ' ')) {
                char c = line.charAt(i);
                if (quote != 0 && c == quote) quote = 0;
                else if (quote == 0 && (c == '"' || c == '\'')) quote = c;
                i++;
            }
        }
        return line.substring(Math.min(i, line.length())).strip();
    }
}
