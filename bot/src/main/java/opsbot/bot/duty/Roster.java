package opsbot.bot.duty;

import opsbot.config.DutyConfig;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Who is on duty at an instant: the config's rotation (one turn a day or a week, handed over at the handoff time in
 * the duty zone; the next in the list is secondary), unless an override ({@code !duty take}, {@code !duty give})
 * covers that instant. Pure: the overrides come from {@link Overrides}.
 */
final class Roster {
    private final DutyConfig cfg;
    private final ZoneId zone;

    Roster(DutyConfig cfg, ZoneId zone) {
        if (cfg.people().isEmpty() || cfg.handoffTime() == null) {
            throw new IllegalArgumentException("duty needs people and a handoff time (the config check says so)");
        }
        this.cfg = cfg;
        this.zone = zone;
    }

    /** A stored take or give: {@code primary} is on duty from {@code from} to {@code until}. */
    record Override(long id, String primary, String secondary, Instant from, Instant until, String how, String by) {
    }

    /**
     * Who is primary and secondary, until when. {@code override} is the one that made it, or null for the rotation.
     *
     * @param secondary null when the rotation has one person and no override named one
     */
    record Turn(String primary, String secondary, Instant until, Override override) {
    }

    ZoneId zone() {
        return zone;
    }

    List<String> people() {
        return cfg.people();
    }

    /** The rotation's name for {@code name} (any case), if that person is in it. */
    Optional<String> inRotation(String name) {
        if (name == null) return Optional.empty();
        for (String p : cfg.people()) {
            if (p.equalsIgnoreCase(name.strip())) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The turn at {@code at}: the override covering it (the newest), else the rotation's. */
    Turn at(Instant at, Optional<Override> override) {
        if (override.isPresent()) {
            Override o = override.get();
            return new Turn(o.primary(), o.secondary(), o.until(), o);
        }
        return rotation(at);
    }

    /** The rotation's turn at {@code at}, overrides aside. */
    Turn rotation(Instant at) {
        int i = cfg.turnIndex(cfg.turnStart(at.atZone(zone)));
        List<String> p = cfg.people();
        return new Turn(p.get(i), p.size() > 1 ? p.get((i + 1) % p.size()) : null, nextHandoff(at), null);
    }

    /** The first handoff after {@code at}: the end of the turn running then (DST-safe: from the local date). */
    Instant nextHandoff(Instant at) {
        LocalTime t = cfg.handoffTime();
        ZonedDateTime start = cfg.turnStart(at.atZone(zone));
        int days = cfg.rotation() == DutyConfig.Rotation.DAILY ? 1 : 7;
        ZonedDateTime next = start.toLocalDate().plusDays(days).atTime(t).atZone(zone);
        while (!next.toInstant().isAfter(at)) { // a handoff time inside a DST gap moved forward: never the past
            next = next.toLocalDate().plusDays(days).atTime(t).atZone(zone);
        }
        return next.toInstant();
    }

    /** {@code rotation weekly, Monday 09:00 Europe/Oslo}: how the turns go, for {@code !duty}. */
    String describe() {
        String day = cfg.rotation() == DutyConfig.Rotation.WEEKLY
                ? cfg.handoffDay().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH) + " " : "";
        return cfg.rotation().name().toLowerCase(Locale.ROOT) + " at " + day + cfg.handoffTime() + " " + zone.getId();
    }
}
