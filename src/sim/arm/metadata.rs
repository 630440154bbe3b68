//! Cloud-level ARM resources that the Azure CLI reads: `GET /metadata/endpoints` (when a cloud is
//! registered), `GET /subscriptions`, `GET /subscriptions/{id}` and `GET /tenants` (after sign-in).

use hyper::StatusCode;
use serde_json::{json, Value};

use super::resources::check_subscription;
use crate::sim::http::SimResponse;
use crate::sim::Simulator;

/// Name of the simulated cloud in the metadata document.
const CLOUD_NAME: &str = "AzureBackupSimulator";

/// Returns the cloud metadata document. The Azure CLI needs `name`, `resourceManager`,
/// `authentication.loginEndpoint`, `authentication.audiences` (its first entry + `/.default` is the
/// token scope) and a `suffixes` object. Services the simulator does not run keep Azure's public
/// values so that clients find every key they expect.
pub(crate) fn endpoints(simulator: &Simulator) -> SimResponse {
    let arm = &simulator.urls.arm_base;
    let mut audiences = vec![format!("{arm}/")];
    audiences.extend(simulator.scenario.arm.token_audiences.iter().cloned());
    let body = json!({
        "portal": "https://portal.azure.com",
        "authentication": {
            "loginEndpoint": format!("{}/", simulator.urls.entra_base),
            "audiences": audiences,
            "tenant": "common",
            "identityProvider": "AAD"
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": CLOUD_NAME,
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net"
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": format!("{arm}/"),
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net"
    });
    SimResponse::json(StatusCode::OK, &body)
}

fn subscription_resource(simulator: &Simulator) -> Value {
    let ids = &simulator.scenario.ids;
    json!({
        "id": format!("/subscriptions/{}", ids.subscription),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": ids.subscription,
        "tenantId": ids.tenant,
        "displayName": ids.subscription_display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }
    })
}

/// `GET /subscriptions`: the scenario's one subscription.
pub(crate) fn subscriptions(simulator: &Simulator) -> SimResponse {
    let body = json!({
        "value": [subscription_resource(simulator)],
        "count": { "type": "Total", "value": 1 }
    });
    SimResponse::json(StatusCode::OK, &body)
}

/// `GET /subscriptions/{id}`.
pub(crate) fn subscription(
    simulator: &Simulator,
    subscription: &str,
) -> Result<SimResponse, SimResponse> {
    check_subscription(simulator, subscription)?;
    Ok(SimResponse::json(
        StatusCode::OK,
        &subscription_resource(simulator),
    ))
}

/// `GET /tenants`: the scenario's tenant.
pub(crate) fn tenants(simulator: &Simulator) -> SimResponse {
    let ids = &simulator.scenario.ids;
    let body = json!({
        "value": [{
            "id": format!("/tenants/{}", ids.tenant),
            "tenantId": ids.tenant,
            "tenantCategory": "Home",
            "defaultDomain": ids.tenant_domains.first().cloned().unwrap_or_default(),
            "domains": ids.tenant_domains,
            "displayName": "Contoso"
        }],
        "count": { "type": "Total", "value": 1 }
    });
    SimResponse::json(StatusCode::OK, &body)
}
