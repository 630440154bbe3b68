//! The HTTPS listeners: accept on loopback, run the TLS handshake, serve HTTP/1.1 with hyper, read
//! each body whole, hand the request to its service and record it in the request log. A scripted
//! fault (see `faults`) may close the connection, replace the reply or damage it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use super::error::SimError;
use super::faults::{self, ConnectionClosed, Delivery, ReplyBody, SelectedFault};
use super::http::{Bearer, SimRequest, SimResponse};
use super::state::{RequestRecord, ServiceKind};
use super::{format, Simulator};

/// Largest request body the services read. Real token and backup requests are a few kilobytes.
const MAX_REQUEST_BODY_BYTES: usize = 1024 * 1024;

/// Time allowed for a TLS handshake, so a client that connects and never speaks TLS does not hold
/// a task for ever.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Time allowed for a request's headers to arrive once a connection is idle or a request starts
/// (hyper's own default, written out so it is visible).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Pause after a failed `accept` (for example when file descriptors run out), so the accept loop
/// does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Binds a listener on 127.0.0.1 with a port chosen by the system.
pub(crate) async fn bind_loopback() -> Result<TcpListener, SimError> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    TcpListener::bind(address)
        .await
        .map_err(|source| SimError::Io {
            action: "listen",
            path: address.to_string().into(),
            source,
        })
}

/// Starts the accept loop of one service. It ends when `shutdown` changes or its sender is dropped,
/// and ending it aborts the connections it spawned.
pub(crate) fn spawn_listener(
    listener: TcpListener,
    service: ServiceKind,
    simulator: Arc<Simulator>,
    tls_config: Arc<ServerConfig>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let acceptor = TlsAcceptor::from(tls_config);
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let connection = serve_connection(stream, peer, acceptor.clone(), service, simulator.clone());
                        connections.spawn(connection);
                    }
                    Err(error) => {
                        tracing::warn!(?service, %error, "accepting a connection failed");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.abort_all();
        tracing::debug!(?service, "listener stopped");
    })
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    service: ServiceKind,
    simulator: Arc<Simulator>,
) {
    // Without TCP_NODELAY, Nagle's algorithm keeps the last TLS record of a reply back until the
    // client acknowledges the previous one. Linux clients delay that ACK by about 40 ms, so the
    // action's first requests on each connection took 40 ms longer before this was set.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(?service, %peer, %error, "setting TCP_NODELAY failed");
    }
    let tls_stream =
        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
            Ok(Ok(tls_stream)) => tls_stream,
            Ok(Err(error)) => {
                tracing::warn!(?service, %peer, %error, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::warn!(?service, %peer, "TLS handshake timed out");
                return;
            }
        };

    let handler = service_fn(move |request| {
        let simulator = simulator.clone();
        async move { handle_request(request, service, &simulator).await }
    });
    let result = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(tls_stream), handler)
        .await;
    if let Err(error) = result {
        tracing::debug!(?service, %peer, %error, "connection ended with an error");
    }
}

/// Serves one request. An `Err` makes hyper close the connection without a reply.
async fn handle_request(
    request: Request<Incoming>,
    service: ServiceKind,
    simulator: &Simulator,
) -> Result<Response<ReplyBody>, ConnectionClosed> {
    let (parts, body) = request.into_parts();
    let mut request = SimRequest::new(
        parts.method,
        parts.uri.path(),
        parts.uri.query(),
        parts.headers,
        Vec::new(),
    );
    let fault = faults::select(simulator, service, &request);
    if let Some(fault) = fault.as_ref().filter(|fault| fault.ends_before_body()) {
        record(simulator, service, &request, None, Some(fault));
        return Err(fault.close_without_reply().await);
    }

    request.body = match Limited::new(body, MAX_REQUEST_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(error) => {
            tracing::warn!(?service, %error, "reading a request body failed");
            let response = SimResponse::empty(StatusCode::PAYLOAD_TOO_LARGE);
            return Ok(to_hyper(response, Delivery::Whole));
        }
    };

    let replaced = fault
        .as_ref()
        .and_then(|fault| fault.replace_reply(simulator, service, &request));
    let (response, logged) = match replaced {
        Some(response) => (response, true),
        None => simulator.dispatch(service, &request),
    };
    if logged {
        record(
            simulator,
            service,
            &request,
            Some(&response),
            fault.as_ref(),
        );
    }
    match fault {
        Some(fault) => {
            let (response, delivery) = fault.deliver(response)?;
            Ok(to_hyper(response, delivery))
        }
        None => Ok(to_hyper(response, Delivery::Whole)),
    }
}

/// Adds a request to the log. `response` is the reply the simulator built, `None` when a fault
/// closed the connection before one was built.
fn record(
    simulator: &Simulator,
    service: ServiceKind,
    request: &SimRequest,
    response: Option<&SimResponse>,
    fault: Option<&SelectedFault>,
) {
    let bearer_token = match request.bearer() {
        Bearer::Token(token) => Some(token.to_owned()),
        Bearer::Missing | Bearer::Malformed => None,
    };
    let client_request_id = request
        .header("x-ms-client-request-id")
        .or_else(|| request.header("client-request-id"))
        .map(str::to_owned);
    let entry = RequestRecord {
        service,
        method: request.method.to_string(),
        path: request.decoded_path(),
        query: request.raw_query.clone(),
        status: response.map_or(0, |response| response.status.as_u16()),
        time: format::rfc3339(simulator.clock.now()),
        error_code: response.and_then(|response| response.error_code.clone()),
        bearer_token,
        assertion_id: response.and_then(|response| response.assertion_id.clone()),
        client_request_id,
        fault: fault.map(|fault| fault.kind().to_owned()),
    };
    simulator.state().requests.push(entry);
}

fn to_hyper(response: SimResponse, delivery: Delivery) -> Response<ReplyBody> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in response.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(ReplyBody::new(response.body, delivery))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "a handler produced an invalid response header");
            let mut fallback = Response::new(ReplyBody::new(Vec::new(), Delivery::Whole));
            *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}
