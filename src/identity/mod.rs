//! Sign-in: a GitHub OIDC token exchanged with Entra ID for an Azure Resource Manager token.

mod aadsts;
mod credential;

pub use aadsts::explain_aadsts;
pub use credential::{EntraError, FederatedCredential, SignInError};
