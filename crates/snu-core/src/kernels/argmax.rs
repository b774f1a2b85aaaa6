//! The index of a row's largest value, shared by the lateral-inhibition reset (whose gradient
//! goes to the winning unit) and the accuracy count.

/// Index of the first maximum: on ties the lowest index wins, as a plain scan finds it.
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}
