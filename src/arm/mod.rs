//! Azure Resource Manager: one client for every ARM call, long-running operations, ARM's error
//! envelope and resource-ID parsing.

mod client;
mod error;
mod lro;
mod paging;
mod resource_id;
pub mod resources;

pub use client::{ArmClient, ArmResponse, RefreshableCredential};
pub use error::ArmError;
pub use lro::{poll_operation, retry_after, OperationOutcome};
pub use paging::get_all_pages;
pub use resource_id::{protected_item_names, ProtectedItemNames};
