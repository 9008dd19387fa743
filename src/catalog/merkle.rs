//! The Merkle tree of a catalog's current state (docs/FORMAT.md 16.4), as RFC 6962 section 2.1
//! (RFC 9162 section 2.1) defines it: SHA-256, a leaf hashed with a `00` byte before it and an
//! inner node with `01`, so no leaf can pass for a node; the tree of n leaves split at the
//! largest power of two below n. The root of the leaves, the audit path of one leaf, and the root
//! an audit path leads to. Pure functions.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(00 || bytes).
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(bytes);
    hasher.finalize().into()
}

/// The hash of an inner node: SHA-256(01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The root of the tree over `leaves` (leaf hashes, in order); SHA-256 of nothing when empty.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => Sha256::digest([]).into(),
        [leaf] => *leaf,
        _ => {
            let k = split(leaves.len());
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` (RFC 6962 2.1.1): the sibling hashes from the leaf up to the
/// root, lowest first. `None` when `index` is not a leaf.
pub fn path(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    collect_path(leaves, index, &mut path);
    Some(path)
}

fn collect_path(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split(leaves.len());
    if index < k {
        collect_path(&leaves[..k], index, path);
        path.push(root(&leaves[k..]));
    } else {
        collect_path(&leaves[k..], index - k, path);
        path.push(root(&leaves[..k]));
    }
}

/// The root that leaf hash `leaf`, at `index` of a tree of `size` leaves, leads to along `path`
/// (RFC 9162 2.1.3.2); `None` when the path does not fit the index and size.
pub fn root_from_path(leaf: &Hash, index: u64, size: u64, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return None;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    (s_n == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn every_path_leads_to_the_root() {
        for n in 1..40 {
            let leaves = leaves(n);
            let root = root(&leaves);
            for (index, leaf) in leaves.iter().enumerate() {
                let path = path(&leaves, index).unwrap();
                let (i, size) = (index as u64, n as u64);
                assert_eq!(
                    root_from_path(leaf, i, size, &path),
                    Some(root),
                    "{n} {index}"
                );
                // Another index or a path cut short leads elsewhere or nowhere. (Another size can
                // lead to the same root: RFC 6962's path does not bind the size, which is why the
                // head binds it, FORMAT.md 16.5.)
                assert_ne!(
                    root_from_path(leaf, (i + 1) % size, size, &path),
                    Some(root).filter(|_| n > 1)
                );
                if !path.is_empty() {
                    assert_ne!(root_from_path(leaf, i, size, &path[1..]), Some(root));
                }
            }
        }
    }

    #[test]
    fn the_rfc_shapes() {
        let l = leaves(3);
        assert_eq!(root(&l), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(root(&[]), <[u8; 32]>::from(Sha256::digest([])));
        assert!(path(&l, 3).is_none());
    }
}
