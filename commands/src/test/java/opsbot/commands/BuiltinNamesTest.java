package opsbot.commands;

import opsbot.commands.model.Builtin;
import opsbot.config.CommandSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config module can't see the built-ins (dependencies point bot → commands → config), so this pins them. */
class BuiltinNamesTest {
    @Test
    void everyBuiltinNameIsReservedInTheConfig() {
        for (Builtin b : Builtin.values()) {
            assertTrue(CommandSpec.RESERVED_NAMES.contains(b.word), b.word + " is not reserved");
            for (String a : b.aliases) {
                assertTrue(CommandSpec.RESERVED_NAMES.contains(a), a + " is not reserved");
            }
        }
    }
}
