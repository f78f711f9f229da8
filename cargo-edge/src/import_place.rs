//! Where the imported `[package.metadata.edge]` tables go in Cargo.toml: together, in the order
//! they were rendered, right after the `[package]` tables. toml_edit writes tables in the order
//! of their document positions, and the rendered tables carry positions from their own small
//! document, which would interleave them with the Cargo.toml's `[lib]` or `[dependencies]`.

use toml_edit::{DocumentMut, Item, Table};

/// Give the tables under `package.metadata.edge` the positions right after the last `package`
/// table, moving every later table down to make room.
pub fn place_edge_tables(doc: &mut DocumentMut) {
    let Some(metadata) = doc
        .get_mut("package")
        .and_then(|p| p.get_mut("metadata"))
        .and_then(Item::as_table_like_mut)
    else {
        return;
    };
    let Some(mut edge) = metadata.remove("edge") else {
        return;
    };
    let mut rendered = Vec::new();
    each_table(&mut edge, &mut |t| rendered.extend(t.position()));
    rendered.sort_unstable();
    let mut anchor = 0;
    if let Some(package) = doc.get_mut("package") {
        each_table(package, &mut |t| {
            anchor = anchor.max(t.position().unwrap_or(0))
        });
    }
    let room = rendered.len() as isize;
    for (_, item) in doc.as_table_mut().iter_mut() {
        each_table(item, &mut |t| match t.position() {
            Some(at) if at > anchor => t.set_position(Some(at + room)),
            _ => {}
        });
    }
    each_table(&mut edge, &mut |t| {
        if let Some(at) = t.position() {
            let rank = rendered.binary_search(&at).unwrap_or(0) as isize;
            t.set_position(Some(anchor + 1 + rank));
        }
    });
    if let Some(metadata) = doc["package"]["metadata"].as_table_like_mut() {
        metadata.insert("edge", edge);
    }
}

/// Call `f` on `item` if it is a table (or each table of an array of tables), and on every
/// table below it.
fn each_table(item: &mut Item, f: &mut dyn FnMut(&mut Table)) {
    let visit = |table: &mut Table, f: &mut dyn FnMut(&mut Table)| {
        f(table);
        for (_, child) in table.iter_mut() {
            each_table(child, f);
        }
    };
    match item {
        Item::Table(table) => visit(table, f),
        Item::ArrayOfTables(array) => {
            for table in array.iter_mut() {
                visit(table, f);
            }
        }
        _ => {}
    }
}
