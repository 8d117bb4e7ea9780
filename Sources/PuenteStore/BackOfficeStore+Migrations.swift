import PuenteDomain
import GRDB

extension BackOfficeStore {
    /// The schema as an ordered list of migrations. Never edit a shipped migration: add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("1-masters") { db in
            try db.execute(sql: """
                CREATE TABLE change_counter (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    value INTEGER NOT NULL
                );
                INSERT INTO change_counter(id, value) VALUES (1, 0);

                CREATE TABLE sites (
                    pos INTEGER PRIMARY KEY,
                    name TEXT NOT NULL
                );

                CREATE TABLE price_lists (
                    code TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    active INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL
                );
                CREATE INDEX price_lists_change_seq ON price_lists(change_seq);

                CREATE TABLE products (
                    code TEXT PRIMARY KEY,
                    description TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    tax_rate INTEGER NOT NULL,      -- hundredths of a percent point
                    active INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL
                );
                CREATE INDEX products_change_seq ON products(change_seq);

                CREATE TABLE sellers (
                    code TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    password_hash TEXT NOT NULL,    -- bcrypt $2y$, empty: no web access
                    password_fingerprint TEXT NOT NULL, -- HMAC of the password, to skip re-hashing
                    active INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL
                );
                CREATE INDEX sellers_change_seq ON sellers(change_seq);

                CREATE TABLE clients (
                    code TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    tax_id TEXT NOT NULL,
                    email TEXT NOT NULL,
                    price_list TEXT NOT NULL REFERENCES price_lists(code),
                    seller TEXT REFERENCES sellers(code),
                    password_hash TEXT NOT NULL,
                    password_fingerprint TEXT NOT NULL,
                    active INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL
                );
                CREATE INDEX clients_change_seq ON clients(change_seq);
                CREATE INDEX clients_seller ON clients(seller);

                -- No FOREIGN KEY and no index on change_seq here, on purpose: the loader checks
                -- both references itself, and with them a million prices took 3x as long to load
                -- (measured); a delta export scans prices for change_seq instead.
                CREATE TABLE prices (
                    price_list TEXT NOT NULL,
                    product TEXT NOT NULL,
                    price INTEGER NOT NULL,         -- ten-thousandths (Money.units)
                    active INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL,
                    PRIMARY KEY (price_list, product)
                ) WITHOUT ROWID;
                """)
        }

        migrator.registerMigration("2-orders") { db in
            try db.execute(sql: """
                -- Each POS numbers its own orders: 9900-00000001, 9900-00000002...
                CREATE TABLE order_sequences (
                    pos INTEGER PRIMARY KEY REFERENCES sites(pos),
                    last_number INTEGER NOT NULL
                );

                CREATE TABLE orders (
                    id INTEGER PRIMARY KEY,
                    pos INTEGER NOT NULL,
                    number INTEGER NOT NULL,        -- the NNNNNNNN of PPPP-NNNNNNNN
                    web_id TEXT NOT NULL,           -- the site's own order id
                    status TEXT NOT NULL CHECK (status IN
                        ('held', 'pending', 'in_preparation', 'dispatched', 'invoiced', 'cancelled')),
                    order_date TEXT NOT NULL,       -- ISO 8601 with offset, as the site sent it
                    client TEXT NOT NULL,
                    seller TEXT,
                    note TEXT NOT NULL DEFAULT '',
                    total INTEGER NOT NULL,         -- Money.units
                    content_hash TEXT NOT NULL,     -- to tell a duplicate from a conflicting one
                    source_file TEXT NOT NULL,
                    source_line INTEGER NOT NULL,
                    created TEXT NOT NULL,
                    change_seq INTEGER NOT NULL,
                    UNIQUE (pos, web_id),
                    UNIQUE (pos, number)
                );
                CREATE INDEX orders_change_seq ON orders(change_seq);
                CREATE INDEX orders_status ON orders(status);

                CREATE TABLE order_lines (
                    order_id INTEGER NOT NULL REFERENCES orders(id),
                    line_no INTEGER NOT NULL,
                    product TEXT NOT NULL,
                    quantity INTEGER NOT NULL,      -- Quantity.units
                    price INTEGER NOT NULL,         -- the price the site charged
                    list_price INTEGER,             -- the client's list price when posted
                    amount INTEGER NOT NULL,        -- price × quantity, rounded to cents
                    source_line INTEGER NOT NULL,
                    PRIMARY KEY (order_id, line_no)
                ) WITHOUT ROWID;

                CREATE TABLE order_status_history (
                    id INTEGER PRIMARY KEY,
                    order_id INTEGER NOT NULL REFERENCES orders(id),
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    changed TEXT NOT NULL,          -- ISO 8601 with offset
                    source TEXT NOT NULL,           -- import, order_status.csv, a person...
                    note TEXT NOT NULL DEFAULT '',
                    change_seq INTEGER NOT NULL
                );
                CREATE INDEX order_status_history_order ON order_status_history(order_id);
                CREATE INDEX order_status_history_change_seq ON order_status_history(change_seq);

                -- Orders that were not posted, kept with their reasons for the reports.
                CREATE TABLE rejected_orders (
                    id INTEGER PRIMARY KEY,
                    file_id INTEGER NOT NULL REFERENCES processed_files(id),
                    pos INTEGER,
                    web_id TEXT NOT NULL,
                    client TEXT,
                    seller TEXT,
                    order_date TEXT,
                    source_line INTEGER NOT NULL,
                    reasons TEXT NOT NULL           -- JSON array of {code, line, product, expected, got}
                );

                -- Every Inbox file taken, so that no file is processed twice.
                CREATE TABLE processed_files (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    outcome TEXT NOT NULL,          -- processed | rejected
                    reason TEXT,
                    processed TEXT NOT NULL,
                    moved_to TEXT,
                    ack_name TEXT
                );
                CREATE INDEX processed_files_sha256 ON processed_files(sha256);
                """)
        }

        migrator.registerMigration("3-packages") { db in
            try db.execute(sql: """
                -- Export packages published to each site.
                CREATE TABLE packages (
                    id INTEGER PRIMARY KEY,
                    pos INTEGER NOT NULL REFERENCES sites(pos),
                    sequence INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),
                    base INTEGER,
                    created TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    change_seq INTEGER NOT NULL,    -- the store's change counter it covers up to
                    UNIQUE (pos, sequence)
                );

                -- What each site was last sent, per price: the import accepts a price the site
                -- was showing before the order's date even if the list has moved on since.
                CREATE TABLE published_prices (
                    pos INTEGER NOT NULL,
                    price_list TEXT NOT NULL,
                    product TEXT NOT NULL,
                    price INTEGER NOT NULL,
                    active INTEGER NOT NULL,
                    package_id INTEGER NOT NULL REFERENCES packages(id),
                    published TEXT NOT NULL,
                    PRIMARY KEY (pos, price_list, product, package_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("4-published-state") { db in
            try db.execute(sql: """
                -- Copying every price a package carried took 1.5 s for a first full package of a
                -- million prices and 3.6 s for the next one (measured); instead the store keeps
                -- the prices' old versions and, per package, the change sequence it covers and
                -- the lists it carried. What a site was shown is derived from those.
                DROP TABLE published_prices;

                ALTER TABLE packages ADD COLUMN published_unix INTEGER NOT NULL DEFAULT 0;

                -- The price lists a site holds after applying each package.
                CREATE TABLE package_price_lists (
                    package_id INTEGER NOT NULL REFERENCES packages(id),
                    price_list TEXT NOT NULL,
                    PRIMARY KEY (package_id, price_list)
                ) WITHOUT ROWID;

                -- Earlier versions of each price: valid for change sequences in [from, until).
                CREATE TABLE price_history (
                    price_list TEXT NOT NULL,
                    product TEXT NOT NULL,
                    valid_from_seq INTEGER NOT NULL,
                    valid_until_seq INTEGER NOT NULL,
                    price INTEGER NOT NULL,
                    active INTEGER NOT NULL,
                    PRIMARY KEY (price_list, product, valid_from_seq)
                ) WITHOUT ROWID;
                CREATE TRIGGER prices_keep_history BEFORE UPDATE ON prices
                WHEN OLD.price IS NOT NEW.price OR OLD.active IS NOT NEW.active
                BEGIN
                    INSERT OR REPLACE INTO price_history
                        (price_list, product, valid_from_seq, valid_until_seq, price, active)
                    VALUES (OLD.price_list, OLD.product, OLD.change_seq, NEW.change_seq, OLD.price, OLD.active);
                END;

                -- The prices each small replacement wrote, as written, so that a delta reads
                -- ten thousand changed prices from here instead of scanning a million (0.15 s)
                -- or looking each up (1% of the prices touch most pages of the table: 0.1 s),
                -- and without an index on prices(change_seq), which made a first load of a
                -- million prices 0.9 s slower (measured). A large replacement is not logged:
                -- `complete_after` moves to it, and deltas across it scan prices instead.
                -- Entries older than every site's last package are pruned by the export.
                CREATE TABLE price_changes (
                    price_list TEXT NOT NULL,
                    change_seq INTEGER NOT NULL,
                    product TEXT NOT NULL,
                    price INTEGER NOT NULL,
                    active INTEGER NOT NULL,
                    PRIMARY KEY (price_list, change_seq, product)
                ) WITHOUT ROWID;
                CREATE TABLE change_logs (
                    name TEXT PRIMARY KEY,
                    complete_after INTEGER NOT NULL -- the log holds every change after this sequence
                );
                INSERT INTO change_logs(name, complete_after) VALUES ('price_changes', 0);

                -- What each site holds now of the small masters (clients, sellers, seller-client
                -- pairs, price lists) whose membership depends on other records: the key and the
                -- exported fields as a JSON array. A delta is the difference with the current set.
                CREATE TABLE site_records (
                    pos INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (pos, kind, key)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("5-import") { db in
            try db.execute(sql: """
                -- A file's work after its commit (publish the ack, move the file) is finished by
                -- the next run if a crash cut it short: these say what is left and where to.
                ALTER TABLE processed_files ADD COLUMN source_path TEXT NOT NULL DEFAULT '';
                ALTER TABLE processed_files ADD COLUMN finished INTEGER NOT NULL DEFAULT 1;
                CREATE INDEX processed_files_unfinished ON processed_files(finished) WHERE finished = 0;
                CREATE INDEX orders_source_file ON orders(source_file);
                CREATE INDEX rejected_orders_file ON rejected_orders(file_id);
                """)
        }
        migrator.registerMigration("6-master-dumps") { db in
            try db.execute(sql: """
                -- The dump each master was last replaced with: the same bytes again (and a
                -- load that left no row unusable) change nothing, so they are not read again.
                CREATE TABLE master_dumps (
                    master TEXT PRIMARY KEY,        -- clients, products, prices...
                    content TEXT NOT NULL,          -- SHA-256 of its bytes (/ the password key's identity)
                    size INTEGER NOT NULL,
                    encoding TEXT NOT NULL,
                    records INTEGER NOT NULL,       -- rows the dump holds, as loaded
                    clean INTEGER NOT NULL,         -- 1 when no row was refused or repeated
                    loaded TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("7-held-reasons") { db in
            try db.execute(sql: """
                -- Why a held order waits for a person (JSON, as rejected_orders.reasons): what
                -- `orders show` tells the one who releases or rejects it.
                ALTER TABLE orders ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';
                """)
        }
        migrator.registerMigration("8-mail") { db in
            try db.execute(sql: """
                -- Every e-mail Puente made, recorded before it is handed over, so none goes twice:
                -- one per status change that calls for one (an order accepted, dispatched, invoiced).
                CREATE TABLE mail_queue (
                    id INTEGER PRIMARY KEY,
                    history_id INTEGER NOT NULL UNIQUE REFERENCES order_status_history(id),
                    kind TEXT NOT NULL,             -- confirmation | dispatched | invoiced
                    message_id TEXT NOT NULL,
                    file_name TEXT NOT NULL,        -- its name in Outbox/mail/
                    message BLOB,                   -- the RFC 5322 bytes (NULL: nobody to send to)
                    state TEXT NOT NULL,            -- queued | handing | handed | written | no-address
                    created TEXT NOT NULL
                );
                CREATE INDEX mail_queue_state ON mail_queue(state);
                -- Mail starts with the store's change sequence of this migration: orders posted
                -- before it never get one.
                CREATE TABLE mail_start (seq INTEGER NOT NULL);
                INSERT INTO mail_start SELECT value FROM change_counter WHERE id = 1;
                """)
        }
        migrator.registerMigration("9-runs") { db in
            try db.execute(sql: """
                -- The scheduled job's history: one row per cycle, written when it starts (so a
                -- run killed midway is seen as one) and completed when it ends.
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    started TEXT NOT NULL,
                    started_unix INTEGER NOT NULL,
                    pid INTEGER NOT NULL,
                    finished TEXT,                  -- NULL: running, or it never ended (killed)
                    outcome TEXT,                   -- done | attention | failed | stopped | interrupted
                    exit_status INTEGER,
                    summary TEXT                    -- JSON: what each step did, its warnings and errors
                );
                """)
        }
        migrator.registerMigration("10-import-snapshot") { db in
            try db.execute(sql: """
                -- What an import reads of the masters (price lists, clients, sellers, products,
                -- the active prices) as one value, written by `masters load` after its changes:
                -- reading a million prices row by row took 0.1 s of every import's start
                -- (measured). Any change to those tables, by anyone, deletes it in the same
                -- transaction (the triggers), and an import that finds none reads the tables.
                -- The triggers cost a first load of a million prices about 0.1 s (measured).
                CREATE TABLE import_snapshot (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    format INTEGER NOT NULL,        -- the layout of data (ImportMastersContent.format)
                    data BLOB NOT NULL
                );
                CREATE TRIGGER price_lists_insert_drops_snapshot AFTER INSERT ON price_lists BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER price_lists_update_drops_snapshot AFTER UPDATE ON price_lists BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER price_lists_delete_drops_snapshot AFTER DELETE ON price_lists BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER products_insert_drops_snapshot AFTER INSERT ON products BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER products_update_drops_snapshot AFTER UPDATE ON products BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER products_delete_drops_snapshot AFTER DELETE ON products BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER sellers_insert_drops_snapshot AFTER INSERT ON sellers BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER sellers_update_drops_snapshot AFTER UPDATE ON sellers BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER sellers_delete_drops_snapshot AFTER DELETE ON sellers BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER clients_insert_drops_snapshot AFTER INSERT ON clients BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER clients_update_drops_snapshot AFTER UPDATE ON clients BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER clients_delete_drops_snapshot AFTER DELETE ON clients BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER prices_insert_drops_snapshot AFTER INSERT ON prices BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER prices_update_drops_snapshot AFTER UPDATE ON prices BEGIN DELETE FROM import_snapshot; END;
                CREATE TRIGGER prices_delete_drops_snapshot AFTER DELETE ON prices BEGIN DELETE FROM import_snapshot; END;
                """)
        }
        return migrator
    }
}
