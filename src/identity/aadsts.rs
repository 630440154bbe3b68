//! Explanations and fixes for the Entra ID (AADSTS) error codes a federated sign-in meets.

/// Codes of the federated-credential family: the presented token's issuer, subject or audience
/// matches no federated credential on the app registration.
pub const FEDERATED_MISMATCH_CODES: [u32; 5] = [70021, 700211, 700212, 700213, 7002138];

/// Returns what an AADSTS code means and how to fix it, for the codes this tool meets.
pub fn explain_aadsts(code: u32) -> Option<&'static str> {
    let text = match code {
        70021 | 700211 | 700212 | 700213 => {
            "no federated credential on the app registration matches the GitHub token. Entra \
             compares issuer, subject and audience exactly, letter case included; the subject \
             depends on the job's environment, branch or tag, or pull request. Add a federated \
             credential with the values shown, or run the job in the context the credential names"
        }
        7002138 => {
            "a federated credential matches the GitHub token's subject only when letter case is \
             ignored, and Entra compares it case-sensitively. Change the credential's subject to \
             the exact spelling shown (owner, repository and environment names as GitHub writes them)"
        }
        700016 => {
            "the application (client-id) was not found in the tenant. Check client-id and \
             tenant-id: the app registration must live in that tenant"
        }
        90002 => "the tenant was not found. Check tenant-id and the environment (cloud) input",
        700024 => {
            "the GitHub token presented was outside its valid time range. Check the runner's \
             clock; this tool asks GitHub for a new token for every exchange"
        }
        700027 | 50027 => {
            "Entra could not validate the GitHub token. Check that the federated credential's \
             issuer is GitHub's (https://token.actions.githubusercontent.com for github.com)"
        }
        70011 => {
            "the requested scope is not valid. Check the environment and \
             resource-manager-endpoint inputs"
        }
        7000215 | 7000222 => "the client credential is not valid or has expired",
        50053 | 50057 => "the application or account is disabled or locked",
        53003 => "a Conditional Access policy blocked the sign-in for this workload identity",
        500011 => {
            "the Azure Resource Manager service principal was not found in the tenant. Check the \
             environment and resource-manager-endpoint inputs"
        }
        _ => return None,
    };
    Some(text)
}

/// Parses the codes at the start of an `error_description` (`AADSTS700213: …`).
pub fn code_from_description(description: &str) -> Option<u32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federated_codes_have_explanations() {
        for code in FEDERATED_MISMATCH_CODES {
            assert!(explain_aadsts(code).is_some(), "{code}");
        }
        assert!(explain_aadsts(7002138).unwrap().contains("letter case"));
    }

    #[test]
    fn code_is_read_from_description() {
        assert_eq!(
            code_from_description("AADSTS700213: No matching federated identity record"),
            Some(700213)
        );
        assert_eq!(code_from_description("something else"), None);
    }
}
