package opsbot.bot.store;

import opsbot.config.StorageConfig;

/** A process that stores one value, says so on stdout, and waits to be killed (see StoreTest). */
public final class CommitAndHang {
    private CommitAndHang() {
    }

    public static void main(String[] args) throws Exception {
        Store s = Store.open(StorageConfig.embedded(args[0]));
        s.setState("promise", args[1]);
        System.out.println("committed");
        System.out.flush();
        Thread.sleep(60_000);
    }
}
