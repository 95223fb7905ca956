//! Platform ad anatomy.
