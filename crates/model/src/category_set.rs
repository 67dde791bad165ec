//! A set of data categories in one machine word, for indexes that test "does this event cover that
//! category" millions of times (the consent index, the transfer's response index).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::category::DataCategory;

/// A set of [`DataCategory`], one bit per category's stable [`DataCategory::tag`]. Membership, union and
/// intersection are single machine instructions, and the set is `Copy`, so a compact index can store one per
/// event. It iterates, formats and serializes in [`DataCategory::ALL`] order, as a list of category codes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CategorySet(u32);

// Every tag must have a bit: the set would silently drop a category whose tag were 32 or more.
const _: () = {
    let mut i = 0;
    while i < DataCategory::ALL.len() {
        assert!(DataCategory::ALL[i].tag() < 32);
        i += 1;
    }
};

const fn bit(category: DataCategory) -> u32 {
    // Tags are below 32 (checked at compile time above), so the shift never overflows.
    1u32 << category.tag()
}

impl CategorySet {
    /// The empty set.
    pub const EMPTY: CategorySet = CategorySet(0);

    /// The empty set.
    pub const fn new() -> Self {
        Self::EMPTY
    }

    /// Every category.
    pub fn all() -> Self {
        DataCategory::ALL.into_iter().collect()
    }

    /// Adds `category`; whether it was not there before.
    pub fn insert(&mut self, category: DataCategory) -> bool {
        let had = self.contains(category);
        self.0 |= bit(category);
        !had
    }

    /// Removes `category`; whether it was there.
    pub fn remove(&mut self, category: DataCategory) -> bool {
        let had = self.contains(category);
        self.0 &= !bit(category);
        had
    }

    /// Whether `category` is in the set.
    pub const fn contains(self, category: DataCategory) -> bool {
        self.0 & bit(category) != 0
    }

    /// Whether the two sets share a category.
    pub const fn intersects(self, other: CategorySet) -> bool {
        self.0 & other.0 != 0
    }

    /// The categories in either set.
    pub const fn union(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 | other.0)
    }

    /// The categories in both sets.
    pub const fn intersection(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & other.0)
    }

    /// The categories in `self` and not in `other`.
    pub const fn difference(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many categories the set holds.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The categories, in [`DataCategory::ALL`] order.
    pub fn iter(self) -> CategorySetIter {
        CategorySetIter { set: self, next: 0 }
    }
}

impl FromIterator<DataCategory> for CategorySet {
    fn from_iter<I: IntoIterator<Item = DataCategory>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        set.extend(iter);
        set
    }
}

impl<'a> FromIterator<&'a DataCategory> for CategorySet {
    fn from_iter<I: IntoIterator<Item = &'a DataCategory>>(iter: I) -> Self {
        iter.into_iter().copied().collect()
    }
}

impl Extend<DataCategory> for CategorySet {
    fn extend<I: IntoIterator<Item = DataCategory>>(&mut self, iter: I) {
        for category in iter {
            self.insert(category);
        }
    }
}

impl<const N: usize> From<[DataCategory; N]> for CategorySet {
    fn from(categories: [DataCategory; N]) -> Self {
        categories.into_iter().collect()
    }
}

impl IntoIterator for CategorySet {
    type Item = DataCategory;
    type IntoIter = CategorySetIter;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The categories of a [`CategorySet`], in [`DataCategory::ALL`] order.
#[derive(Clone, Debug)]
pub struct CategorySetIter {
    set: CategorySet,
    next: usize,
}

impl Iterator for CategorySetIter {
    type Item = DataCategory;

    fn next(&mut self) -> Option<DataCategory> {
        while let Some(category) = DataCategory::ALL.get(self.next).copied() {
            self.next += 1;
            if self.set.contains(category) {
                return Some(category);
            }
        }
        None
    }
}

impl fmt::Debug for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(DataCategory::code))
            .finish()
    }
}

impl Serialize for CategorySet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for CategorySet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<DataCategory>::deserialize(deserializer).map(|list| list.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn membership_union_and_order() {
        let mut set = CategorySet::from([DataCategory::Health, DataCategory::Identity]);
        assert!(set.contains(DataCategory::Health));
        assert!(!set.contains(DataCategory::Contact));
        assert!(set.insert(DataCategory::Contact));
        assert!(!set.insert(DataCategory::Contact));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            vec![
                DataCategory::Identity,
                DataCategory::Contact,
                DataCategory::Health
            ]
        );
        assert!(set.remove(DataCategory::Identity));
        assert_eq!(set.len(), 2);
        assert!(set.intersects(CategorySet::from([DataCategory::Health])));
        assert!(!set.intersects(CategorySet::from([DataCategory::KycAml])));
        assert_eq!(CategorySet::all().len(), DataCategory::ALL.len());
        assert_eq!(format!("{set:?}"), r#"{"contact", "health"}"#);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// For every subset of the categories, the set holds exactly its members and serializes as the list
        /// of them in `DataCategory::ALL` order.
        #[test]
        fn every_subset_round_trips(mask in 0u16..512) {
            let members: Vec<DataCategory> = DataCategory::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| c)
                .collect();
            let set: CategorySet = members.iter().collect();
            prop_assert_eq!(set.len(), members.len());
            prop_assert_eq!(set.iter().collect::<Vec<_>>(), members.clone());
            prop_assert_eq!(set.into_iter().collect::<Vec<_>>(), members.clone());
            let json = serde_json::to_string(&set).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&members).unwrap());
            prop_assert_eq!(serde_json::from_str::<CategorySet>(&json).unwrap(), set);
        }
    }
}
