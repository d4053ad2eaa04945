package opsbot.commands.model;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * "Did you mean …?": the nearest known word within a small edit distance, and only when it is clearly the
 * nearest. A guess between equally near names (compute1 or compute4?) would send someone about to fail
 * over a host towards the wrong one, so then there is no suggestion at all.
 */
public final class Suggest {
    private Suggest() {
    }

    /** {@link #nearest(String, Map)} where every candidate is a different thing. */
    public static String nearest(String word, Collection<String> candidates) {
        Map<String, String> self = new LinkedHashMap<>();
        candidates.forEach(c -> self.put(c, c));
        return nearest(word, self);
    }

    /**
     * The nearest candidate word (optimal string alignment distance ≤ 2, and less than the word's length),
     * or null when there is none or when words for different things are equally near. Words for the same
     * thing (a host's name and its alias) do not compete; the first of them in {@code candidates} is given.
     */
    public static <T> String nearest(String word, Map<String, T> candidates) {
        int[] w = word.codePoints().toArray();
        int limit = Math.min(2, Math.max(1, w.length - 1));
        String best = null;
        T bestThing = null;
        int bestDist = Integer.MAX_VALUE;
        boolean tie = false;
        for (Map.Entry<String, T> c : candidates.entrySet()) {
            int d = distance(w, c.getKey().codePoints().toArray());
            if (d > limit || d > bestDist) continue;
            if (d < bestDist) {
                best = c.getKey();
                bestThing = c.getValue();
                bestDist = d;
                tie = false;
            } else if (!c.getValue().equals(bestThing)) {
                tie = true;
            }
        }
        return tie ? null : best;
    }

    static int distance(String a, String b) {
        return distance(a.codePoints().toArray(), b.codePoints().toArray());
    }

    private static int distance(int[] a, int[] b) {
        int[][] d = new int[a.length + 1][b.length + 1];
        for (int i = 0; i <= a.length; i++) d[i][0] = i;
        for (int j = 0; j <= b.length; j++) d[0][j] = j;
        for (int i = 1; i <= a.length; i++) {
            for (int j = 1; j <= b.length; j++) {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length][b.length];
    }
}
