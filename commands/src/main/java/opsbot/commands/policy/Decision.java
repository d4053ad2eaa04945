package opsbot.commands.policy;

/** The policy's answer for one attempt. A denial carries the one line the asker will read. */
public sealed interface Decision {
    record Allow() implements Decision {
    }

    record Deny(String reason) implements Decision {
    }

    default boolean allowed() {
        return this instanceof Allow;
    }
}
