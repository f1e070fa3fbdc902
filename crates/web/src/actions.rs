//! The writes a request can make — import uploaded files, post, reverse, close — through the same
//! posting paths as the CLI (taizhang-posting), with the caller as operator. Shared by the API and
//! the pages' forms, so both say the same.
