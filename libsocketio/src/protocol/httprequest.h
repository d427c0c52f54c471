// Strict, bounded HTTP/1.1 request parser (no IO). The HTTP front feeds it the bytes it reads;
// the fuzzer feeds it arbitrary bytes.
#pragma once

#include "limits.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace SocketIo::Protocol {

struct HttpRequest
{
    QByteArray method;                               // "GET", "POST", ... (case-sensitive token)
    QByteArray target;                               // raw request target, e.g. "/socket.io/?EIO=4&..."
    QByteArray path;                                 // target up to '?', percent-decoding NOT applied
    QByteArray query;                                // after '?', without it
    int versionMinor = 1;                            // HTTP/1.<minor>
    QList<QPair<QByteArray, QByteArray>> headers;    // names lower-cased, values trimmed, in order
    QByteArray body;

    /*! First value of header \a lowerName, or a null QByteArray. */
    QByteArray header(QByteArrayView lowerName) const;
    bool hasHeader(QByteArrayView lowerName) const;
    /*! Keep-alive per HTTP/1.1 rules (Connection: close / HTTP/1.0 without keep-alive). */
    bool keepAlive() const;
    /*! True for "Upgrade: websocket" with a Connection header containing "upgrade". */
    bool isWebSocketUpgrade() const;
};

/*!
  Decodes a name or a value of a query string as WHATWG URLSearchParams does
  (application/x-www-form-urlencoded), which is how engine.io reads its query: '+' is a space,
  "%XX" (two hex digits, either case) the byte XX, and a '%' not followed by two hex digits stays
  as it is. The result is bytes, to be read as UTF-8.
*/
QByteArray decodeQueryComponent(QByteArrayView component);

/*!
  Incremental parser for one request at a time on a keep-alive connection.
  Call feed() with newly received bytes; it consumes what it can (pipelined bytes after a complete
  request stay in the internal buffer for the next request after takeRequest()).
*/
class HttpRequestParser
{
public:
    enum class State {
        NeedMore,       // incomplete
        HeadComplete,   // head parsed, body still arriving (only reported once, see headComplete())
        Complete,       // a full request (head + body) is available
        Error,          // malformed or over a limit: answer errorStatus() and close the connection
    };

    explicit HttpRequestParser(qint64 maxBodySize = DefaultMaxHttpBufferSize);

    void setMaxBodySize(qint64 maxBodySize);
    State feed(QByteArrayView bytes);
    /*! Re-examine buffered bytes (after takeRequest(), for a pipelined request). */
    State parseBuffered();

    State state() const;
    /*! The request head once state() >= HeadComplete; the body once Complete. Also the head
        of a request refused for its body (bodyTooLarge(), malformed chunked framing). */
    const HttpRequest &request() const;
    /*! Takes the complete request and resets for the next one on the same connection. */
    HttpRequest takeRequest();
    /*! True if the head announced a body larger than the limit: status 413, connection closes. */
    bool bodyTooLarge() const;
    /*! Bytes of the buffered input taken by the current request's head (leading empty lines
        included), valid once state() >= HeadComplete. The HTTP front uses it to consume exactly
        the head from a socket it only peeked at. */
    qsizetype headSize() const;
    /*! The HTTP status to answer on Error (400, 413, 414, 431, 501, 505). A chunked body
        (Transfer-Encoding: chunked, as Node's http.request() streams one) is decoded, counting
        against the body limit as it arrives; any other transfer coding is refused with 501. */
    int errorStatus() const;
    QByteArray errorString() const;
    /*! Bytes received after the head that belong to the connection, not the request
        (used when a WebSocket upgrade request is handed over). */
    QByteArray takeBuffered();
    /*! The body bytes consumed so far as they came on the wire: the body for Content-Length
        (once complete), the chunked framing with its data for a chunked body. With
        takeBuffered() they rebuild the request for another parser (a hand-over). */
    QByteArray bodyAsReceived() const;
    /*! Stops keeping the chunked framing for bodyAsReceived() in the current request (the HTTP
        front calls it once the request stays on this connection), so that it costs no memory
        beyond the decoded body. */
    void dropBodyAsReceived();

private:
    State parseHead();
    State parseBody();
    State parseChunkedBody();

    enum class ChunkStep { Size, Data, DataEnd, Trailer };

    qint64 m_maxBodySize;
    QByteArray m_buffer;
    HttpRequest m_request;
    State m_state = State::NeedMore;
    qint64 m_contentLength = 0;
    qsizetype m_headSize = 0;
    qsizetype m_scanPos = 0;   // head bytes already checked, so byte-wise feeding stays linear
    bool m_chunked = false;
    ChunkStep m_chunkStep = ChunkStep::Size;
    qint64 m_chunkRemaining = 0;   // bytes of the current chunk's data still to come
    qsizetype m_trailerBytes = 0;
    QByteArray m_chunkedRaw;       // chunked framing + data consumed so far (bodyAsReceived())
    bool m_keepChunkedRaw = true;
    qsizetype m_chunkExtensionBytes = 0;
    bool m_bodyTooLarge = false;
    int m_errorStatus = 0;
    QByteArray m_error;
};

/*! \a name is an HTTP field name (an RFC 9110 token), as Node's http module checks one before
    writing it. */
bool isHttpFieldName(QByteArrayView name);
/*! \a value can be written as an HTTP field value: tab, printable ASCII and bytes from 0x80, as
    Node's http module checks (no CR, LF or other control characters). */
bool isHttpFieldValue(QByteArrayView value);

} // namespace SocketIo::Protocol
