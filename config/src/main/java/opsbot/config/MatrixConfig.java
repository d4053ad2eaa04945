package opsbot.config;

import java.time.Duration;
import java.util.List;

/**
 * The Matrix homeserver account the bot uses and the rooms it sits in (unencrypted rooms only).
 *
 * @param homeserver  base URL, e.g. {@code https://matrix.example.org}
 * @param user        the bot's user ID or localpart
 * @param password    for password login; or give {@code accessToken}
 * @param rooms       room IDs ({@code !abc:example.org}) or aliases ({@code #ops:example.org}); trust is set
 *                    under {@code channels} by the same name
 * @param syncTimeout how long one /sync long-poll waits on the server
 * @param incidentRooms rooms (also listed in {@code rooms}) where each incident is a thread: a root message,
 *                    each entry a threaded reply
 */
public record MatrixConfig(String homeserver, String user, String password, String accessToken, List<String> rooms,
                           Duration syncTimeout, List<String> incidentRooms) {
    public MatrixConfig {
        rooms = rooms == null ? List.of() : List.copyOf(rooms);
        syncTimeout = syncTimeout == null ? Duration.ofSeconds(30) : syncTimeout;
        incidentRooms = incidentRooms == null ? List.of() : List.copyOf(incidentRooms);
    }
}
