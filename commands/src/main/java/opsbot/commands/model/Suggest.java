package opsbot.commands.model;

import java.util.Collection;

/** "Did you mean …?": the nearest known word within a small edit distance. */
public final class Suggest {
    private Suggest() {
    }

    /** The nearest candidate (optimal string alignment distance ≤ 2, and less than the word's length), or null. */
    public static String nearest(String word, Collection<String> candidates) {
        String best = null;
        int bestDist = Integer.MAX_VALUE;
        int limit = Math.min(2, Math.max(1, word.length() - 1));
        for (String c : candidates) {
            int d = distance(word, c);
            if (d <= limit && d < bestDist) {
                best = c;
                bestDist = d;
            }
        }
        return best;
    }

    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
