//! Quiet typed readers over a toml_edit table. The shape check has already reported every wrong
//! type, so a value of the wrong type simply reads as absent here.

use toml_edit::{Item, TableLike, Value};

use super::check::{child, value_loc};
use super::source::{Loc, Spanned};
use super::written::{Text, TextList};

/// A view of one table-like item with the place it was written.
#[derive(Clone, Copy)]
pub struct At<'a> {
    pub table: &'a dyn TableLike,
    pub loc: &'a Loc,
}

impl<'a> At<'a> {
    pub fn new(table: &'a dyn TableLike, loc: &'a Loc) -> At<'a> {
        At { table, loc }
    }

    /// The item under `name` and where its value was written.
    pub fn item(&self, name: &str) -> Option<(&'a Item, Loc)> {
        let item = self.table.get(name)?;
        let key_loc = child(self.table, name, self.loc);
        Some((item, value_loc(item, &key_loc)))
    }

    pub fn string(&self, name: &str) -> Option<Text> {
        let (item, loc) = self.item(name)?;
        Some(Spanned::new(item.as_str()?.to_string(), loc))
    }

    /// A date written as a string or as a bare TOML date.
    pub fn date(&self, name: &str) -> Option<Text> {
        let (item, loc) = self.item(name)?;
        let text = match item.as_value()? {
            Value::String(s) => s.value().clone(),
            Value::Datetime(d) => d.value().to_string(),
            _ => return None,
        };
        Some(Spanned::new(text, loc))
    }

    pub fn boolean(&self, name: &str) -> Option<Spanned<bool>> {
        let (item, loc) = self.item(name)?;
        Some(Spanned::new(item.as_bool()?, loc))
    }

    pub fn int(&self, name: &str) -> Option<Spanned<i64>> {
        let (item, loc) = self.item(name)?;
        Some(Spanned::new(item.as_integer()?, loc))
    }

    pub fn strings(&self, name: &str) -> Option<TextList> {
        let (item, loc) = self.item(name)?;
        let texts = elements(item, &loc)
            .into_iter()
            .filter_map(|(item, l)| Some(Spanned::new(item.as_str()?.to_string(), l)))
            .collect();
        item.is_array().then(|| Spanned::new(texts, loc))
    }

    /// The sub-table under `name`, if it is one.
    pub fn table(&self, name: &str) -> Option<(&'a dyn TableLike, Loc)> {
        let (item, _) = self.item(name)?;
        let loc = child(self.table, name, self.loc);
        Some((item.as_table_like()?, loc))
    }

    /// Each entry of the sub-table `name`: key, the key's location and the value.
    pub fn entries(&self, name: &str) -> Vec<(String, Loc, &'a Item)> {
        match self.table(name) {
            Some((table, loc)) => table
                .iter()
                .map(|(k, item)| (k.to_string(), child(table, k, &loc), item))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// The elements of an array or array of tables, each with its location.
pub fn elements(item: &Item, loc: &Loc) -> Vec<(Item, Loc)> {
    if let Some(tables) = item.as_array_of_tables() {
        let each = tables.iter().enumerate();
        return each
            .map(|(i, t)| (Item::Table(t.clone()), loc.child(&i.to_string(), t.span())))
            .collect();
    }
    match item.as_array() {
        Some(array) => array
            .iter()
            .enumerate()
            .map(|(i, v)| (Item::Value(v.clone()), loc.child(&i.to_string(), v.span())))
            .collect(),
        None => Vec::new(),
    }
}

/// A TOML value as JSON (a `vars` entry that is not a string). Dates become strings.
pub fn to_json(item: &Item) -> serde_json::Value {
    use serde_json::Value as J;
    match item {
        Item::None => J::Null,
        Item::Value(v) => value_to_json(v),
        Item::Table(t) => J::Object(t.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect()),
        Item::ArrayOfTables(a) => {
            J::Array(a.iter().map(|t| to_json(&Item::Table(t.clone()))).collect())
        }
    }
}

fn value_to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::String(s) => J::String(s.value().clone()),
        Value::Integer(i) => J::from(*i.value()),
        Value::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(J::Null, J::Number),
        Value::Boolean(b) => J::Bool(*b.value()),
        Value::Datetime(d) => J::String(d.value().to_string()),
        Value::Array(a) => J::Array(a.iter().map(value_to_json).collect()),
        Value::InlineTable(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.to_string(), value_to_json(v)))
                .collect(),
        ),
    }
}
