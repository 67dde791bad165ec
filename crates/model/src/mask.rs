//! Display masks: the forms in which personal identifiers may appear on screens, in logs and in errors.

/// Replaces the middle of `value` with `*`, keeping `keep_start` characters at the front and `keep_end` at the
/// back (`110105********1234`). A value too short to keep both ends and still hide at least half of it is
/// masked harder: only its last quarter stays visible, so a wrong-length number in an error message never
/// shows more than a fragment.
pub(crate) fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let count = value.chars().count();
    let (front, back) = if count >= 2 * (keep_start + keep_end) || count > keep_start + keep_end + 3 {
        (keep_start, keep_end)
    } else {
        (0, count / 4)
    };
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < front || i + back >= count { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_middle_and_short_values_harder() {
        assert_eq!(mask_middle("11010519491231002X", 6, 4), "110105********002X");
        assert_eq!(mask_middle("13812345678", 3, 4), "138****5678");
        assert_eq!(mask_middle("1234", 3, 4), "***4");
        assert_eq!(mask_middle("", 3, 4), "");
        assert_eq!(mask_middle("张三", 1, 0), "张*");
    }
}
