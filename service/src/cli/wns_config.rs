//! The WNS credentials of `mpns serve`: with them, One Time reaches the registrations whose
//! platform is `wns` (Windows 10/11 devices). Flags or environment variables; the secret is
//! never printed.

use std::path::PathBuf;

use clap::Args;

/// `--wns-*`: the app's WNS credentials and how to reach WNS.
#[derive(Debug, Args)]
pub(crate) struct WnsConfigArgs {
    /// The WNS app's client id (package SID, or Entra application id with --wns-tenant);
    /// default: the environment variable WNS_CLIENT_ID. Without it, WNS registrations are
    /// accepted but not sent to (their status-log rows say why).
    #[arg(long, value_name = "ID")]
    pub wns_client_id: Option<String>,

    /// The WNS app's client secret; default: the environment variable WNS_CLIENT_SECRET (safer:
    /// a flag shows in the process list). Never printed.
    #[arg(long, value_name = "SECRET")]
    pub wns_client_secret: Option<String>,

    /// Use the Entra ID token flow with this tenant instead of the Store flow.
    #[arg(long, value_name = "TENANT")]
    pub wns_tenant: Option<String>,

    /// Get WNS tokens here instead of Microsoft's endpoint (a fake WNS).
    #[arg(long, value_name = "URL")]
    pub wns_token_url: Option<String>,

    /// Trust this CA (PEM) for WNS, besides the system roots (a fake WNS's test CA).
    #[arg(long, value_name = "FILE")]
    pub wns_root_ca: Option<PathBuf>,
}

/// The most bytes read from the CA file.
const MAX_CA_FILE: u64 = 1024 * 1024;

impl WnsConfigArgs {
    /// The WNS client, or `None` when no client id is given (by flag or environment);
    /// `allowed` are the `--allow-host` entries, which WNS channels may point at too.
    pub(crate) fn client(&self, allowed: &[String]) -> Result<Option<wns::Client>, String> {
        let env = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        let Some(id) = self.wns_client_id.clone().or_else(|| env("WNS_CLIENT_ID")) else {
            if self.wns_client_secret.is_some() {
                return Err("--wns-client-secret needs --wns-client-id (or WNS_CLIENT_ID)".into());
            }
            return Ok(None);
        };
        let secret = self
            .wns_client_secret
            .clone()
            .or_else(|| env("WNS_CLIENT_SECRET"))
            .ok_or("the WNS client id needs a secret: --wns-client-secret or WNS_CLIENT_SECRET")?;
        let mut credentials = match &self.wns_tenant {
            Some(t) => {
                wns::Credentials::entra(t, id, secret).map_err(|e| format!("--wns-tenant: {e}"))?
            }
            None => wns::Credentials::store(id, secret),
        };
        if let Some(url) = &self.wns_token_url {
            credentials = credentials.with_token_url(url.clone());
        }
        let mut builder = wns::Client::builder(credentials);
        for host in allowed {
            builder = builder.allow_host(host.clone());
        }
        if let Some(path) = &self.wns_root_ca {
            use std::io::Read as _;
            let fail = |e: std::io::Error| format!("--wns-root-ca {}: {e}", path.display());
            let mut pem = Vec::new();
            std::fs::File::open(path)
                .map_err(fail)?
                .take(MAX_CA_FILE)
                .read_to_end(&mut pem)
                .map_err(fail)?;
            builder = builder.add_root_certificate_pem(&pem);
        }
        builder.build().map(Some).map_err(|e| e.to_string())
    }
}
