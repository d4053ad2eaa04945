package opsbot.bot.incident;

/** The outcome of checking an incident's hash chain. */
public sealed interface Verification {
    long incidentId();

    /** Every entry is there, in order, and hashes to what the next one (and the incident's head) expects. */
    record Intact(long incidentId, int entries, String headHash) implements Verification {
    }

    /**
     * The first place where the stored data no longer matches its chain.
     *
     * @param seq the first broken entry's number (0 when the incident row itself was altered)
     */
    record Broken(long incidentId, int seq, String why) implements Verification {
    }

    record NoSuchIncident(long incidentId) implements Verification {
    }

    /**
     * Checked without the chain key: every entry is there, in order, and links to the one before. That is all it
     * says: whoever can write the database can relabel every entry as unkeyed (SHA-256) and recompute the chain,
     * and only the key (the entries' HMAC, the seal, the head's MAC) tells such a rewrite from the original. So
     * without the key no incident is ever "intact", whatever its entries are marked.
     */
    record LinkageOnly(long incidentId, int entries, String headHash) implements Verification {
    }

    default String describe() {
        return switch (this) {
            case Intact i -> Incident.tag(i.incidentId()) + ": chain intact, " + i.entries() + " entries, head "
                    + i.headHash().substring(0, 12);
            case Broken b -> Incident.tag(b.incidentId()) + ": BROKEN at entry " + b.seq() + ": " + b.why();
            case NoSuchIncident n -> Incident.tag(n.incidentId()) + ": no such incident";
            case LinkageOnly l -> Incident.tag(l.incidentId()) + ": linkage intact, " + l.entries() + " entries, head "
                    + l.headHash().substring(0, 12) + "; linkage only: without the chain key a rewrite of the entries"
                    + " cannot be told from the original";
        };
    }
}
