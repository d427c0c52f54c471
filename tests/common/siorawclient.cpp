#include "siorawclient.h"

#include "rawhttpclient.h"

#include <QJsonDocument>
#include <QTest>
#include <QUrl>
#include <QWebSocket>

SioRawClient::SioRawClient(Transport transport, QObject *parent)
    : QObject(parent), m_transport(transport)
{
}

SioRawClient::~SioRawClient()
{
    if (m_ws)
        m_ws->abort();
}

QByteArray SioRawClient::target() const
{
    QByteArray t = m_path.toUtf8() + "?EIO=4&transport=" + (m_transport == Transport::WebSocket ? "websocket" : "polling");
    if (!m_sid.isEmpty())
        t += "&sid=" + m_sid.toUtf8();
    if (!m_extraQuery.isEmpty())
        t += '&' + m_extraQuery.toUtf8();
    return t;
}

bool SioRawClient::open(quint16 port, const QString &path, const QString &extraQuery, int timeoutMs)
{
    m_port = port;
    m_path = path;
    m_extraQuery = extraQuery;
    if (m_transport == Transport::WebSocket) {
        m_ws = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
        connect(m_ws, &QWebSocket::textMessageReceived, this,
                [this](const QString &message) { onEnginePacket(message.toUtf8()); });
        connect(m_ws, &QWebSocket::binaryMessageReceived, this, &SioRawClient::onEngineBinary);
        connect(m_ws, &QWebSocket::disconnected, this, [this] {
            m_closed = true;
            Q_EMIT frameReceived();
        });
        m_ws->open(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(port) + QString::fromUtf8(target())));
        return QTest::qWaitFor([this] { return m_opened || m_closed; }, timeoutMs) && m_opened;
    }
    m_get = new RawHttpClient(this);
    m_post = new RawHttpClient(this);
    if (!m_get->connectToHost(QHostAddress::LocalHost, port, timeoutMs)
        || !m_post->connectToHost(QHostAddress::LocalHost, port, timeoutMs))
        return false;
    const RawHttpResponse response = m_get->request("GET", target(), {}, {}, timeoutMs);
    if (response.status != 200)
        return false;
    const QList<QByteArray> packets = response.body.split('\x1e');
    for (const QByteArray &p : packets)
        onEnginePacket(p);
    if (!m_opened)
        return false;
    connect(m_get, &RawHttpClient::responseReceived, this, &SioRawClient::onPollResponse);
    connect(m_post, &RawHttpClient::responseReceived, this, [this] {
        while (m_post->pendingResponses() > 0) {
            const RawHttpResponse r = m_post->waitForResponse(0);
            if (r.status != 200) {
                m_closed = true;
                Q_EMIT frameReceived();
            }
        }
        m_postInFlight = false;
        if (!m_postQueue.isEmpty())
            post(m_postQueue.takeFirst());
    });
    poll();
    return true;
}

void SioRawClient::poll()
{
    if (m_closed || m_polling)
        return;
    m_polling = true;
    m_get->sendRequest("GET", target());
}

void SioRawClient::onPollResponse()
{
    while (m_get->pendingResponses() > 0) {
        const RawHttpResponse r = m_get->waitForResponse(0);
        m_polling = false;
        if (r.status != 200) {
            m_closed = true;
            Q_EMIT frameReceived();
            return;
        }
        const QList<QByteArray> packets = r.body.split('\x1e');
        for (const QByteArray &p : packets) {
            if (p.startsWith('b'))
                onEngineBinary(QByteArray::fromBase64(p.mid(1)));
            else
                onEnginePacket(p);
        }
    }
    if (!m_closed)
        poll();
}

void SioRawClient::post(const QByteArray &body)
{
    if (m_postInFlight) {
        m_postQueue.append(body);
        return;
    }
    m_postInFlight = true;
    m_post->sendRequest("POST", target(), body, {"Content-Type: text/plain;charset=UTF-8"});
}

void SioRawClient::onEnginePacket(const QByteArray &packet)
{
    if (packet.isEmpty())
        return;
    const char type = packet.at(0);
    if (type == '4') {
        const Frame frame{false, packet};
        m_frames.append(frame);
        m_history.append(frame);
        Q_EMIT frameReceived();
        return;
    }
    m_enginePackets.append(packet);
    switch (type) {
    case '0':
        m_open = QJsonDocument::fromJson(packet.mid(1)).object();
        m_sid = m_open.value(QLatin1String("sid")).toString();
        m_opened = true;
        break;
    case '2':
        ++m_pings;
        if (m_autoPong)
            sendEngine("3");
        break;
    case '1':
        m_closed = true;
        break;
    default:
        break;
    }
    Q_EMIT frameReceived();
}

void SioRawClient::onEngineBinary(const QByteArray &bytes)
{
    const Frame frame{true, bytes};
    m_frames.append(frame);
    m_history.append(frame);
    Q_EMIT frameReceived();
}

void SioRawClient::send(const QByteArray &packet)
{
    sendEngine(packet);
}

void SioRawClient::sendEngine(const QByteArray &packet)
{
    if (m_ws)
        m_ws->sendTextMessage(QString::fromUtf8(packet));
    else if (m_post)
        post(packet);
}

void SioRawClient::sendBinary(const QByteArray &bytes)
{
    if (m_ws)
        m_ws->sendBinaryMessage(bytes);
    else if (m_post)
        post('b' + bytes.toBase64());
}

void SioRawClient::postPayload(const QByteArray &body)
{
    if (m_post)
        post(body);
}

QByteArray SioRawClient::connectNamespace(const QString &nsp, const QByteArray &authJson, int timeoutMs)
{
    QByteArray packet = "40";
    if (nsp != QLatin1String("/"))
        packet += nsp.toUtf8() + ',';
    packet += authJson;
    send(packet);
    return waitForText(timeoutMs);
}

bool SioRawClient::waitForFrame(Frame *frame, int timeoutMs)
{
    if (!QTest::qWaitFor([this] { return !m_frames.isEmpty(); }, timeoutMs))
        return false;
    *frame = m_frames.takeFirst();
    return true;
}

QByteArray SioRawClient::waitForText(int timeoutMs)
{
    Frame frame;
    if (!waitForFrame(&frame, timeoutMs))
        return QByteArray();
    return frame.binary ? QByteArray("<binary>") : frame.data;
}

QByteArray SioRawClient::waitForBinary(int timeoutMs)
{
    Frame frame;
    if (!waitForFrame(&frame, timeoutMs))
        return QByteArray();
    return frame.binary ? frame.data : QByteArray("<text>") + frame.data;
}

bool SioRawClient::waitForClosed(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_closed; }, timeoutMs);
}

void SioRawClient::close()
{
    if (m_ws)
        m_ws->close();
    else
        sendEngine("1");
}

void SioRawClient::abort()
{
    if (m_ws)
        m_ws->abort();
    if (m_get)
        m_get->abort();
    if (m_post)
        m_post->abort();
    m_closed = true;
}
