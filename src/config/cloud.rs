//! Azure clouds: the Entra authority host, the ARM endpoint, the token scope and the OIDC audience
//! of each, and the checks for the inputs that override them.
//!
//! Endpoints are from the ARM metadata embedded in the Azure SDK for Go
//! (`sdk/azcore/cloud/cloud.go`, a copy of
//! `https://management.azure.com/metadata/endpoints?api-version=2019-05-01`).

use url::Url;

/// Longest audience accepted: a federated identity credential's audience is limited to 600
/// characters (Microsoft Learn, "Configure an application to trust a managed identity").
pub(crate) const MAX_AUDIENCE_CHARS: usize = 600;

/// An Azure cloud, named as the `environment` input and the Azure CLI name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    AzureCloud,
    AzureUSGovernment,
    AzureChinaCloud,
}

impl Cloud {
    /// Every supported cloud, in the order messages list them.
    pub const ALL: [Cloud; 3] = [
        Cloud::AzureCloud,
        Cloud::AzureUSGovernment,
        Cloud::AzureChinaCloud,
    ];

    /// Returns the cloud's name as the `environment` input spells it.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "AzureCloud",
            Cloud::AzureUSGovernment => "AzureUSGovernment",
            Cloud::AzureChinaCloud => "AzureChinaCloud",
        }
    }

    /// Returns the cloud with this name, compared case-insensitively.
    pub fn from_name(name: &str) -> Option<Cloud> {
        Cloud::ALL
            .into_iter()
            .find(|cloud| cloud.name().eq_ignore_ascii_case(name))
    }

    fn authority_host(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "https://login.microsoftonline.com/",
            Cloud::AzureUSGovernment => "https://login.microsoftonline.us/",
            Cloud::AzureChinaCloud => "https://login.chinacloudapi.cn/",
        }
    }

    fn resource_manager_endpoint(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "https://management.azure.com/",
            Cloud::AzureUSGovernment => "https://management.usgovcloudapi.net/",
            Cloud::AzureChinaCloud => "https://management.chinacloudapi.cn/",
        }
    }

    /// Returns the audience that Entra ID expects in a federated token for this cloud. The values
    /// are from Microsoft Learn, "Configure an application to trust a managed identity", which
    /// lists the federated credential audiences for the public cloud, Fairfax (US Government) and
    /// Mooncake (China).
    pub fn default_audience(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "api://AzureADTokenExchange",
            Cloud::AzureUSGovernment => "api://AzureADTokenExchangeUSGov",
            Cloud::AzureChinaCloud => "api://AzureADTokenExchangeChina",
        }
    }

    /// Returns the Azure portal address, for links in the summary.
    pub fn portal_url(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "https://portal.azure.com",
            Cloud::AzureUSGovernment => "https://portal.azure.us",
            Cloud::AzureChinaCloud => "https://portal.azure.cn",
        }
    }
}

/// The endpoints, token scope and OIDC audience used for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudProfile {
    pub cloud: Cloud,
    /// Entra ID authority host, always ending in `/`.
    pub authority_host: Url,
    /// ARM endpoint, always ending in `/`.
    pub resource_manager_endpoint: Url,
    /// Scope of the ARM token: the ARM endpoint without its trailing `/`, then `/.default`.
    pub scope: String,
    /// Audience requested for the GitHub OIDC token.
    pub audience: String,
    /// Azure portal address, without a trailing `/`.
    pub portal_url: String,
}

impl CloudProfile {
    /// Returns the built-in profile of `cloud`.
    pub fn for_cloud(cloud: Cloud) -> CloudProfile {
        let authority_host = Url::parse(cloud.authority_host()).expect("built-in URL is valid");
        let resource_manager_endpoint =
            Url::parse(cloud.resource_manager_endpoint()).expect("built-in URL is valid");
        CloudProfile {
            cloud,
            scope: scope_for(&resource_manager_endpoint),
            authority_host,
            resource_manager_endpoint,
            audience: cloud.default_audience().to_string(),
            portal_url: cloud.portal_url().to_string(),
        }
    }

    /// Replaces the ARM endpoint, and the scope with it. `endpoint` should come from
    /// [`parse_https_endpoint`].
    pub fn with_resource_manager_endpoint(mut self, endpoint: Url) -> CloudProfile {
        self.scope = scope_for(&endpoint);
        self.resource_manager_endpoint = endpoint;
        self
    }

    /// Replaces the Entra authority host. `host` should come from [`parse_https_endpoint`].
    pub fn with_authority_host(mut self, host: Url) -> CloudProfile {
        self.authority_host = host;
        self
    }

    /// Replaces the OIDC audience.
    pub fn with_audience(mut self, audience: impl Into<String>) -> CloudProfile {
        self.audience = audience.into();
        self
    }

    /// Returns the ARM URL for `path_and_query`, such as `/subscriptions/…?api-version=…`, with
    /// exactly one `/` between the endpoint and the path.
    pub fn arm_url(&self, path_and_query: &str) -> String {
        join_url(&self.resource_manager_endpoint, path_and_query)
    }

    /// Returns the Entra token endpoint of `tenant_id`: `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_endpoint(&self, tenant_id: &str) -> String {
        join_url(
            &self.authority_host,
            &format!("{tenant_id}/oauth2/v2.0/token"),
        )
    }
}

fn join_url(base: &Url, path: &str) -> String {
    format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

fn scope_for(resource_manager_endpoint: &Url) -> String {
    format!(
        "{}/.default",
        resource_manager_endpoint.as_str().trim_end_matches('/')
    )
}

/// Parses an endpoint override (`authority-host`, `resource-manager-endpoint`).
///
/// Only `https://` with a host is accepted: tokens travel to these endpoints, so plain HTTP
/// would expose them. A query, a fragment or user information is rejected. The path is kept and
/// made to end in `/`, so joining a path never doubles or drops a `/`.
pub fn parse_https_endpoint(text: &str) -> Result<Url, String> {
    // The URL parser would quietly percent-encode spaces and fold `https:///host` into a host,
    // turning a typo into a different endpoint, so both are rejected first.
    if text
        .chars()
        .any(|character| character.is_whitespace() || character.is_control())
    {
        return Err("the URL contains a space or a control character".to_string());
    }
    if text
        .get(.."https:///".len())
        .is_some_and(|start| start.eq_ignore_ascii_case("https:///"))
    {
        return Err("the URL has an empty host (three slashes after https:)".to_string());
    }
    let mut url = Url::parse(text).map_err(|error| format!("not a valid URL ({error})"))?;
    if url.scheme() != "https" {
        return Err(format!(
            "the scheme is '{}', but only https:// is allowed, because tokens are sent to this endpoint",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".to_string());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not contain a user name or password".to_string());
    }
    if url.query().is_some() {
        return Err("the URL must not contain a query ('?')".to_string());
    }
    if url.fragment().is_some() {
        return Err("the URL must not contain a fragment ('#')".to_string());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles() {
        let public = CloudProfile::for_cloud(Cloud::AzureCloud);
        assert_eq!(
            public.authority_host.as_str(),
            "https://login.microsoftonline.com/"
        );
        assert_eq!(
            public.resource_manager_endpoint.as_str(),
            "https://management.azure.com/"
        );
        assert_eq!(public.scope, "https://management.azure.com/.default");
        assert_eq!(public.audience, "api://AzureADTokenExchange");
        assert_eq!(public.portal_url, "https://portal.azure.com");

        let government = CloudProfile::for_cloud(Cloud::AzureUSGovernment);
        assert_eq!(
            government.authority_host.as_str(),
            "https://login.microsoftonline.us/"
        );
        assert_eq!(
            government.scope,
            "https://management.usgovcloudapi.net/.default"
        );
        assert_eq!(government.audience, "api://AzureADTokenExchangeUSGov");

        let china = CloudProfile::for_cloud(Cloud::AzureChinaCloud);
        assert_eq!(
            china.authority_host.as_str(),
            "https://login.chinacloudapi.cn/"
        );
        assert_eq!(china.scope, "https://management.chinacloudapi.cn/.default");
        assert_eq!(china.audience, "api://AzureADTokenExchangeChina");
    }

    #[test]
    fn cloud_names_case_insensitive() {
        assert_eq!(Cloud::from_name("azurecloud"), Some(Cloud::AzureCloud));
        assert_eq!(
            Cloud::from_name("AZUREUSGOVERNMENT"),
            Some(Cloud::AzureUSGovernment)
        );
        assert_eq!(
            Cloud::from_name("AzureChinaCloud"),
            Some(Cloud::AzureChinaCloud)
        );
        assert_eq!(Cloud::from_name("AzureGermanCloud"), None);
        assert_eq!(Cloud::from_name(""), None);
    }

    #[test]
    fn arm_url_single_slash() {
        let profile = CloudProfile::for_cloud(Cloud::AzureCloud);
        assert_eq!(
            profile.arm_url("/subscriptions/x?api-version=1"),
            "https://management.azure.com/subscriptions/x?api-version=1"
        );
        assert_eq!(
            profile.arm_url("subscriptions/x"),
            "https://management.azure.com/subscriptions/x"
        );
        assert_eq!(
            profile.arm_url("//subscriptions/x"),
            "https://management.azure.com/subscriptions/x"
        );
    }

    #[test]
    fn overridden_endpoints() {
        let arm = parse_https_endpoint("https://127.0.0.1:8443/arm").unwrap();
        let authority = parse_https_endpoint("https://LOCALHOST:9443").unwrap();
        let profile = CloudProfile::for_cloud(Cloud::AzureCloud)
            .with_resource_manager_endpoint(arm)
            .with_authority_host(authority)
            .with_audience("api://custom");
        assert_eq!(
            profile.resource_manager_endpoint.as_str(),
            "https://127.0.0.1:8443/arm/"
        );
        assert_eq!(profile.scope, "https://127.0.0.1:8443/arm/.default");
        assert_eq!(
            profile.arm_url("/subscriptions"),
            "https://127.0.0.1:8443/arm/subscriptions"
        );
        assert_eq!(profile.authority_host.as_str(), "https://localhost:9443/");
        assert_eq!(
            profile.token_endpoint("contoso.onmicrosoft.com"),
            "https://localhost:9443/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(profile.audience, "api://custom");
    }

    #[test]
    fn endpoint_trailing_slash_scope() {
        let arm = parse_https_endpoint("https://management.example/").unwrap();
        let profile =
            CloudProfile::for_cloud(Cloud::AzureCloud).with_resource_manager_endpoint(arm);
        assert_eq!(profile.scope, "https://management.example/.default");
    }

    #[test]
    fn endpoint_rejections() {
        let cases = [
            ("http://management.azure.com", "only https:// is allowed"),
            ("ftp://management.azure.com", "only https:// is allowed"),
            ("management.azure.com", "not a valid URL"),
            (
                "https://user:pw@management.azure.com",
                "user name or password",
            ),
            ("https://user@management.azure.com", "user name or password"),
            ("https://management.azure.com/?x=1", "query"),
            ("https://management.azure.com/#x", "fragment"),
            ("https://", "not a valid URL"),
        ];
        for (text, expected) in cases {
            let error = parse_https_endpoint(text).unwrap_err();
            assert!(error.contains(expected), "{text:?} gave {error:?}");
        }
    }
}
