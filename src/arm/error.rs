//! The ARM layer's error: a service reply with ARM's error envelope, a transport failure, a
//! sign-in failure while getting a token, or the run's deadline.

use crate::identity::SignInError;

#[derive(Debug, Clone)]
pub enum ArmError {
    /// ARM returned an error status. `code` and `message` come from the envelope
    /// `{"error": {"code", "message"}}` when there is one.
    Service {
        method: &'static str,
        path: String,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The request did not get a reply.
    Transport {
        method: &'static str,
        path: String,
        detail: String,
    },
    /// The reply arrived but is not what the API documents.
    InvalidReply { path: String, detail: String },
    /// No ARM token could be had.
    SignIn(SignInError),
    /// The run's `timeout` passed while waiting for `what`.
    Deadline { what: String },
}

impl ArmError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Service { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Service { code, .. } => code,
            Self::Transport { .. } => "TransportError",
            Self::InvalidReply { .. } => "InvalidReply",
            Self::SignIn(_) => "SignInFailed",
            Self::Deadline { .. } => "TimeoutReached",
        }
    }

    /// Returns the fix for well-known ARM codes, shown after the service's own message.
    fn hint(&self) -> Option<&'static str> {
        let Self::Service { status, code, .. } = self else {
            return None;
        };
        match (status, code.as_str()) {
            (401, "ExpiredAuthenticationToken" | "InvalidAuthenticationToken") => Some(
                "ARM rejected a freshly issued token too; check the runner's clock, tenant-id, \
                 and that the environment and resource-manager-endpoint inputs name the same cloud",
            ),
            (403, _) | (_, "AuthorizationFailed") => Some(
                "grant the app registration's service principal a role that allows this action \
                 (Backup Operator on the vault is enough for on-demand backups)",
            ),
            (_, "SubscriptionNotFound") => Some(
                "check subscription-id, and that the service principal has a role in that \
                 subscription",
            ),
            (_, "ResourceGroupNotFound") => Some("check resource-group (or the vault resource ID)"),
            (_, "ResourceNotFound") => Some("check the vault name or resource ID"),
            (_, "InvalidAuthenticationTokenTenant") => {
                Some("check that tenant-id is the tenant of the subscription")
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for ArmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Service {
                method,
                path,
                status,
                code,
                message,
                request_id,
            } => {
                write!(
                    f,
                    "{method} {path} failed with HTTP {status} {code}: {message}"
                )?;
                if let Some(hint) = self.hint() {
                    write!(f, " ({hint})")?;
                }
                if let Some(id) = request_id {
                    write!(f, " [x-ms-request-id {id}]")?;
                }
                Ok(())
            }
            Self::Transport {
                method,
                path,
                detail,
            } => write!(f, "{method} {path} got no reply: {detail}"),
            Self::InvalidReply { path, detail } => {
                write!(f, "unexpected reply from {path}: {detail}")
            }
            Self::SignIn(error) => write!(f, "{error}"),
            Self::Deadline { what } => write!(
                f,
                "the run's timeout was reached while waiting for {what}; raise the timeout input \
                 if this is expected"
            ),
        }
    }
}

impl std::error::Error for ArmError {}
