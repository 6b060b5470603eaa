//! Task IDs as Dokku derives them: the lowercase base36 encoding of the bytes of
//! `APP===COMMAND===SCHEDULE` (app.json tasks) or of the injected fields joined by `;;;`
//! (tasks other plugins add through `cron-entries`). The bytes are read as one big-endian
//! number; each leading zero byte becomes one leading `0`.

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// The base36 (lowercase) encoding of `bytes`.
pub fn base36(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    // Repeated division of the big-endian number by 36; digits come out least significant first.
    let mut number: Vec<u8> = bytes[zeros..].to_vec();
    let mut digits = Vec::new();
    while !number.is_empty() {
        let mut rest = Vec::with_capacity(number.len());
        let mut carry: u32 = 0;
        for b in &number {
            let acc = (carry << 8) | u32::from(*b);
            let q = acc / 36;
            carry = acc % 36;
            if !(rest.is_empty() && q == 0) {
                rest.push(q as u8);
            }
        }
        digits.push(DIGITS[carry as usize]);
        number = rest;
    }
    let mut out = "0".repeat(zeros);
    out.extend(digits.iter().rev().map(|d| *d as char));
    out
}

/// The ID of an app.json task.
pub fn task_id(app: &str, command: &str, schedule: &str) -> String {
    base36(format!("{app}==={command}==={schedule}").as_bytes())
}

/// The ID of a task injected through `cron-entries` (its fields as given).
pub fn injected_id(fields: &[&str]) -> String {
    base36(fields.join(";;;").as_bytes())
}

/// Whether `id` looks like a task ID (what may be passed on and written to a crontab).
pub fn is_valid(id: &str) -> bool {
    !id.is_empty() && id.len() <= 4096 && id.bytes().all(|b| DIGITS.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_numbers() {
        assert_eq!(base36(&[]), "");
        assert_eq!(base36(&[0]), "0");
        assert_eq!(base36(&[35]), "z");
        assert_eq!(base36(&[36]), "10");
        assert_eq!(base36(&[1, 0]), "74");
        assert_eq!(base36(&[0, 0, 255]), "0073");
    }

    #[test]
    fn ids_are_stable_and_valid() {
        let a = task_id("app", "true", "* * * * *");
        assert_eq!(a, task_id("app", "true", "* * * * *"));
        assert_ne!(a, task_id("app", "true", "@daily"));
        assert!(is_valid(&a));
        // 2^64 - 1 in base 36.
        assert_eq!(base36(&[255; 8]), "3w5e11264sgsf");
    }
}
