//! taizhang-core: the domain of a special-bond and procurement project ledger.
//!
//! Types that make invalid entries unrepresentable once parsed ([`Amount`], [`FunctionCode`],
//! [`Uscc`], the vocabularies), the entries themselves, and the rules an entry must pass against what
//! the ledger holds ([`rules`]). No I/O: nothing here can fail for a reason outside its arguments.

pub mod amount;
pub mod catalog;
pub mod classify;
pub mod code;
pub mod entry;
pub mod period;
pub mod rules;
pub mod text;
pub mod uscc;
pub mod vocab;

pub use amount::Amount;
pub use code::{ClassCode, EconCode, FunctionCode, Level};
pub use entry::*;
pub use period::{parse_date, Quarter};
pub use uscc::Uscc;
pub use vocab::*;
