//! The body of a reply on the wire: sent whole, or, for the `truncate_body` fault, announced with
//! the full `Content-Length` while only the first half is sent before the connection closes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::time::Sleep;

/// Pause between sending the first half of a cut body and closing the connection. hyper drops
/// unsent bytes when a body fails, so the body waits until hyper has flushed the first half, which
/// on loopback takes well under a millisecond.
const CUT_BODY_CLOSE_DELAY: Duration = Duration::from_millis(50);

/// How much of the body to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    Whole,
    /// Send the first half, then close the connection. The `Content-Length` is that of the whole
    /// body, so the client sees a body that ends early.
    CutInHalf,
}

/// A reply body that hyper sends.
pub(crate) enum ReplyBody {
    Whole(Option<Bytes>),
    Cut {
        full_length: u64,
        first_half: Option<Bytes>,
        close_after: Option<Pin<Box<Sleep>>>,
    },
}

impl ReplyBody {
    pub(crate) fn new(body: Vec<u8>, delivery: Delivery) -> Self {
        match delivery {
            Delivery::Whole => ReplyBody::Whole(Some(Bytes::from(body))),
            Delivery::CutInHalf => {
                let full_length = body.len() as u64;
                let mut first_half = body;
                first_half.truncate(first_half.len() / 2);
                ReplyBody::Cut {
                    full_length,
                    first_half: Some(Bytes::from(first_half)),
                    close_after: None,
                }
            }
        }
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ReplyBody::Whole(bytes) => Poll::Ready(
                bytes
                    .take()
                    .filter(|bytes| !bytes.is_empty())
                    .map(|bytes| Ok(Frame::data(bytes))),
            ),
            ReplyBody::Cut {
                first_half,
                close_after,
                ..
            } => {
                if let Some(half) = first_half.take() {
                    *close_after = Some(Box::pin(tokio::time::sleep(CUT_BODY_CLOSE_DELAY)));
                    if !half.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(half))));
                    }
                }
                if let Some(delay) = close_after {
                    if delay.as_mut().poll(context).is_pending() {
                        return Poll::Pending;
                    }
                }
                Poll::Ready(Some(Err(std::io::Error::other(
                    "the truncate_body fault closes the connection after half of the body",
                ))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReplyBody::Whole(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            ReplyBody::Cut { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |bytes| bytes.len() as u64))
            }
            ReplyBody::Cut { full_length, .. } => SizeHint::with_exact(*full_length),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn whole_body_is_sent_once() {
        let mut body = ReplyBody::new(b"{\"a\":1}".to_vec(), Delivery::Whole);
        assert_eq!(body.size_hint().exact(), Some(7));
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), Bytes::from_static(b"{\"a\":1}"));
        assert!(body.frame().await.is_none());
    }

    #[tokio::test]
    async fn cut_body_announces_full_length_then_fails() {
        let mut body = ReplyBody::new(b"0123456789".to_vec(), Delivery::CutInHalf);
        assert_eq!(body.size_hint().exact(), Some(10));
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), Bytes::from_static(b"01234"));
        assert!(body.frame().await.unwrap().is_err());
    }
}
