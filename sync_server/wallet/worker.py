"""Makes every pass follow the ledger: after a reconciliation changes what a card's
pass shows, the pass is marked updated, each registered device is owed one empty APNs
push, and the Google object one PATCH (under its quota)."""
