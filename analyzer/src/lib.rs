//! coder-sec analyzer library.
