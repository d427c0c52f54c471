#include "engineclienttransport_p.h"

#include "engineclientlogging_p.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkCookie>
#include <QNetworkCookieJar>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QTimer>
#include <QWebSocket>

namespace SocketIo {

using Protocol::EnginePacket;
using Protocol::EnginePacketType;

namespace {

bool isSecureScheme(const QString &scheme)
{
    return scheme == QLatin1String("https") || scheme == QLatin1String("wss");
}

} // namespace

// ---- EngineClientTransport ------------------------------------------------------------------

EngineClientTransport::EngineClientTransport(const EngineClientTransportConfig &config,
                                             QObject *parent)
    : QObject(parent)
    , m_config(config)
{
}

EngineClientTransport::~EngineClientTransport() = default;

void EngineClientTransport::pause()
{
    Q_EMIT paused();
}

void EngineClientTransport::resume()
{
}

QString EngineClientTransport::randomString()
{
    // Same shape as engine.io-client's randomString(): unique enough to defeat caches, short.
    const QByteArray time = QByteArray::number(QDateTime::currentMSecsSinceEpoch(), 36).mid(3);
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    QByteArray random;
    for (int i = 0; i < 3; ++i)
        random.append(digits[QRandomGenerator::global()->bounded(36)]);
    return QString::fromLatin1(time + random);
}

QUrl EngineClientTransport::requestUrl(const QString &plainScheme, const QString &secureScheme,
                                       bool withTimestamp) const
{
    QUrl url = m_config.baseUrl;
    url.setScheme(isSecureScheme(url.scheme()) ? secureScheme : plainScheme);
    // engine.io-client encodes keys and values with encodeURIComponent(): everything but
    // A-Z a-z 0-9 - _ . ! ~ * ' ( ) is percent-encoded, so a '+' is sent as %2B (a Node server
    // would read a raw '+' as a space).
    const auto component = [](const QString &s) {
        return QString::fromLatin1(QUrl::toPercentEncoding(s, QByteArrayLiteral("!*'()")));
    };
    QStringList parts;
    for (const auto &item : m_config.query)
        parts.append(component(item.first) + QLatin1Char('=') + component(item.second));
    parts.append(QStringLiteral("EIO=4"));
    parts.append(QStringLiteral("transport=") + component(name()));
    if (!m_sid.isEmpty())
        parts.append(QStringLiteral("sid=") + component(m_sid));
    if (withTimestamp && !m_config.timestampParam.isEmpty())
        parts.append(component(m_config.timestampParam) + QLatin1Char('=') + randomString());
    url.setQuery(parts.join(QLatin1Char('&')), QUrl::StrictMode);
    return url;
}

// ---- PollingClientTransport -----------------------------------------------------------------

PollingClientTransport::PollingClientTransport(const EngineClientTransportConfig &config,
                                               QNetworkAccessManager *manager, QObject *parent)
    : EngineClientTransport(config, parent)
    , m_manager(manager)
{
}

PollingClientTransport::~PollingClientTransport()
{
    m_done = true;
    dropReply(m_get);
    dropReply(m_post);
}

QNetworkRequest PollingClientTransport::makeRequest() const
{
    QNetworkRequest request(requestUrl(QStringLiteral("http"), QStringLiteral("https"), true));
    // A long-poll must never be answered from a cache, and HTTP/2 would multiplex the parked
    // GET and the POSTs on one stream set, which engine.io servers do not expect.
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    for (const auto &header : m_config.extraHeaders)
        request.setRawHeader(header.first, header.second);
    if (isSecureScheme(m_config.baseUrl.scheme()))
        request.setSslConfiguration(m_config.sslConfiguration);
    if (!m_config.withCredentials) {
        // engine.io-client without withCredentials: no cookie jar at all
        request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
        request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    }
    return request;
}

void PollingClientTransport::open()
{
    m_running = true;
    poll();
}

bool PollingClientTransport::isWritable() const
{
    // Before the open packet there is no sid to POST to.
    return m_running && !m_sid.isEmpty() && !m_done && !m_closing && !m_pausing && !m_paused
        && !m_post;
}

void PollingClientTransport::poll()
{
    if (m_done || m_get || !m_manager)
        return;
    qCDebug(lcEngineClient) << "polling GET" << m_sid;
    QNetworkReply *reply = m_manager->get(makeRequest());
    m_get = reply;
    watchSsl(reply);
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onPollFinished(reply); });
}

void PollingClientTransport::post(const QByteArray &body)
{
    if (m_done || !m_manager)
        return;
    QNetworkRequest request = makeRequest();
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("text/plain;charset=UTF-8"));
    QNetworkReply *reply = m_manager->post(request, body);
    m_post = reply;
    watchSsl(reply);
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onPostFinished(reply); });
}

void PollingClientTransport::watchSsl(QNetworkReply *reply)
{
    connect(reply, &QNetworkReply::sslErrors, this, [this, reply](const QList<QSslError> &errors) {
        bool ignore = false;
        Q_EMIT sslErrors(errors, &ignore);
        // Accepting must happen inside this slot; afterwards Qt has already failed the request.
        if (ignore && !m_done)
            reply->ignoreSslErrors(errors);
    });
}

bool PollingClientTransport::replyFailed(QNetworkReply *reply, QString *description)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    // the status of the failing request only (a 200 reply whose body is bad is no HTTP error)
    if (reply->error() != QNetworkReply::NoError) {
        m_errorHttpStatus = status;
        *description = status ? QStringLiteral("HTTP %1: %2").arg(status).arg(reply->errorString())
                               : reply->errorString();
        return true;
    }
    if (status != 200) {
        m_errorHttpStatus = status;
        *description = QStringLiteral("HTTP %1").arg(status);
        return true;
    }
    return false;
}

void PollingClientTransport::onPollFinished(QNetworkReply *reply)
{
    reply->deleteLater();
    if (reply != m_get || m_done)
        return;
    m_get = nullptr;
    QString description;
    if (replyFailed(reply, &description)) {
        fail(QStringLiteral("transport error"), QStringLiteral("xhr poll error"), description);
        return;
    }
    QList<EnginePacket> packets;
    QString error;
    const bool ok = Protocol::decodePayload(reply->readAll(), &packets, &error);
    // Packets before a bad record are still delivered, as engine.io-parser does.
    QPointer<PollingClientTransport> self(this);
    for (const EnginePacket &packet : std::as_const(packets)) {
        if (packet.type == EnginePacketType::Close) {
            fail(QStringLiteral("transport close"), QString(),
                 QStringLiteral("transport closed by the server"));
            return;
        }
        Q_EMIT packetReceived(packet);
        if (!self || m_done)
            return;
    }
    if (!ok) {
        // engine.io-client: an undecodable packet is an "error" packet, reported as
        // Error("server error") and closed with "transport error"
        qCWarning(lcEngineClient) << "invalid polling payload from the server:" << error;
        fail(QStringLiteral("transport error"), QStringLiteral("server error"), error);
        return;
    }
    if (m_pausing) {
        maybePaused();
        return;
    }
    if (m_running && !m_closing && !m_paused)
        poll();
}

void PollingClientTransport::send(const QList<EnginePacket> &packets)
{
    if (!isWritable() || packets.isEmpty())
        return;
    post(Protocol::encodePayload(packets));
}

void PollingClientTransport::onPostFinished(QNetworkReply *reply)
{
    reply->deleteLater();
    if (reply != m_post || m_done)
        return;
    m_post = nullptr;
    QString description;
    const bool failedPost = replyFailed(reply, &description);
    if (m_closePosted) {
        // The close packet is out (or the server is gone): nothing left to wait for.
        m_done = true;
        dropReply(m_get);
        Q_EMIT closed();
        return;
    }
    if (failedPost) {
        fail(QStringLiteral("transport error"), QStringLiteral("xhr post error"), description);
        return;
    }
    if (m_closing) {
        m_closePosted = true;
        post(Protocol::encodePayload({EnginePacket::text(EnginePacketType::Close)}));
        return;
    }
    if (m_pausing) {
        maybePaused();
        return;
    }
    Q_EMIT drained();
}

void PollingClientTransport::pause()
{
    m_pausing = true;
    maybePaused();
}

void PollingClientTransport::maybePaused()
{
    if (!m_pausing || m_get || m_post || m_done)
        return;
    m_pausing = false;
    m_paused = true;
    Q_EMIT paused();
}

void PollingClientTransport::resume()
{
    const bool wasPaused = m_paused || m_pausing;
    m_pausing = false;
    m_paused = false;
    if (!wasPaused || m_done || m_closing)
        return;
    if (!m_get)
        poll();
    if (!m_post)
        Q_EMIT drained();
}

void PollingClientTransport::close()
{
    if (m_done || m_closing)
        return;
    m_closing = true;
    if (m_sid.isEmpty()) {
        // No session yet: nothing to tell the server.
        m_done = true;
        dropReply(m_get);
        dropReply(m_post);
        QTimer::singleShot(0, this, [this] { Q_EMIT closed(); });
        return;
    }
    // The parked GET stays in flight: aborting it first would make the server see "poll
    // connection closed prematurely" (transport error) instead of the close packet.
    if (!m_post) {
        m_closePosted = true;
        post(Protocol::encodePayload({EnginePacket::text(EnginePacketType::Close)}));
    }
}

void PollingClientTransport::abort()
{
    m_done = true;
    m_running = false;
    dropReply(m_get);
    dropReply(m_post);
}

void PollingClientTransport::dropReply(QPointer<QNetworkReply> &reply)
{
    if (!reply)
        return;
    QNetworkReply *r = reply;
    reply = nullptr;
    r->disconnect(this);
    r->abort();
    r->deleteLater();
}

void PollingClientTransport::fail(const QString &reason, const QString &message,
                                  const QString &description)
{
    if (m_done)
        return;
    abort();
    Q_EMIT failed(reason, message, description);
}

// ---- WebSocketClientTransport ---------------------------------------------------------------

WebSocketClientTransport::WebSocketClientTransport(const EngineClientTransportConfig &config,
                                                   QObject *parent)
    : EngineClientTransport(config, parent)
{
}

WebSocketClientTransport::~WebSocketClientTransport()
{
    abort();
}

void WebSocketClientTransport::open()
{
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket->setProxy(m_config.proxy);
    m_socket->setSslConfiguration(m_config.sslConfiguration);
    connect(m_socket, &QWebSocket::connected, this, [this] {
        m_connected = true;
        Q_EMIT opened();
    });
    connect(m_socket, &QWebSocket::textMessageReceived, this,
            [this](const QString &message) { onText(message); });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this,
            [this](const QByteArray &message) { onBinary(message); });
    connect(m_socket, &QWebSocket::disconnected, this, [this] { onDisconnected(); });
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError error) {
                // The peer ending the TCP connection is a close, not an error (engine.io-client
                // sees the WebSocket's close event); onDisconnected() reports it.
                if (error == QAbstractSocket::RemoteHostClosedError)
                    return;
                if (m_closing) {
                    onDisconnected();
                    return;
                }
                fail(QStringLiteral("transport error"), QStringLiteral("websocket error"),
                     m_socket->errorString());
            });
    connect(m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        bool ignore = false;
        Q_EMIT sslErrors(errors, &ignore);
        if (ignore && !m_done && m_socket)
            m_socket->ignoreSslErrors();
    });

    QNetworkRequest request(requestUrl(QStringLiteral("ws"), QStringLiteral("wss"), false));
    for (const auto &header : m_config.extraHeaders)
        request.setRawHeader(header.first, header.second);
    if (m_config.withCredentials && m_config.cookieJar) {
        // engine.io-client (websocket.node.js) copies its cookie jar into the handshake
        const QList<QNetworkCookie> cookies =
            m_config.cookieJar->cookiesForUrl(requestUrl(QStringLiteral("http"), QStringLiteral("https"), false));
        QByteArrayList pairs;
        for (const QNetworkCookie &cookie : cookies)
            pairs.append(cookie.name() + '=' + cookie.value());
        if (!pairs.isEmpty()) {
            const QByteArray existing = request.rawHeader("Cookie");
            if (!existing.isEmpty())
                pairs.prepend(existing);
            request.setRawHeader("Cookie", pairs.join("; "));
        }
    }
    qCDebug(lcEngineClient) << "WebSocket connecting to" << request.url();
    m_socket->open(request);
}

bool WebSocketClientTransport::isWritable() const
{
    return m_connected && !m_done && !m_closing;
}

void WebSocketClientTransport::send(const QList<EnginePacket> &packets)
{
    if (!isWritable())
        return;
    for (const EnginePacket &packet : packets) {
        if (packet.binary)
            m_socket->sendBinaryMessage(packet.data);
        else
            m_socket->sendTextMessage(QString::fromUtf8(Protocol::encodeEnginePacket(packet)));
    }
    // QWebSocket buffers synchronously; report the drain from the event loop so that callers
    // never see drained() inside their own send call (engine.io-client does the same).
    if (!m_drainScheduled) {
        m_drainScheduled = true;
        QTimer::singleShot(0, this, [this] {
            m_drainScheduled = false;
            if (!m_done && !m_closing)
                Q_EMIT drained();
        });
    }
}

void WebSocketClientTransport::onText(const QString &message)
{
    if (m_done)
        return;
    EnginePacket packet;
    QString error;
    if (!Protocol::decodeEnginePacket(message.toUtf8(), &packet, &error)) {
        qCWarning(lcEngineClient) << "invalid WebSocket frame from the server:" << error;
        fail(QStringLiteral("transport error"), QStringLiteral("server error"), error);
        return;
    }
    if (packet.type == EnginePacketType::Close) {
        // Node never sends this over WebSocket; a server that does means it is closing.
        fail(QStringLiteral("transport close"), QString(),
             QStringLiteral("transport closed by the server"));
        return;
    }
    Q_EMIT packetReceived(packet);
}

void WebSocketClientTransport::onBinary(const QByteArray &message)
{
    if (m_done)
        return;
    Q_EMIT packetReceived(EnginePacket::bytes(message));
}

void WebSocketClientTransport::onDisconnected()
{
    if (m_done)
        return;
    if (m_closing) {
        m_done = true;
        m_connected = false;
        // QWebSocket may report this inside close(); callers expect closed() from the loop.
        QTimer::singleShot(0, this, [this] { Q_EMIT closed(); });
        return;
    }
    const QString description = m_socket->closeReason().isEmpty()
        ? QStringLiteral("websocket connection closed (code %1)").arg(int(m_socket->closeCode()))
        : QStringLiteral("websocket connection closed (code %1: %2)")
              .arg(int(m_socket->closeCode()))
              .arg(m_socket->closeReason());
    if (!m_connected) {
        // Never connected: the handshake failed (refused, 400, TLS), engine.io-client's
        // "websocket error".
        fail(QStringLiteral("transport error"), QStringLiteral("websocket error"),
             m_socket->errorString().isEmpty() ? description : m_socket->errorString());
        return;
    }
    fail(QStringLiteral("transport close"), QString(), description);
}

void WebSocketClientTransport::close()
{
    if (m_done || m_closing)
        return;
    m_closing = true;
    if (!m_connected) {
        // Still connecting (or never started): there is no session on this socket to end.
        abort();
        QTimer::singleShot(0, this, [this] { Q_EMIT closed(); });
        return;
    }
    m_socket->close(QWebSocketProtocol::CloseCodeNormal);
}

void WebSocketClientTransport::abort()
{
    m_done = true;
    m_connected = false;
    if (!m_socket)
        return;
    QWebSocket *socket = m_socket;
    m_socket = nullptr;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

void WebSocketClientTransport::fail(const QString &reason, const QString &message,
                                    const QString &description)
{
    if (m_done)
        return;
    abort();
    Q_EMIT failed(reason, message, description);
}

} // namespace SocketIo
