#include "rawhttpclient.h"

#include <QProcess>
#include <QTcpSocket>
#include <QTest>

QByteArray gunzipWithTool(const QByteArray &body)
{
    QProcess gzip;
    gzip.start(QStringLiteral("gzip"), {QStringLiteral("-dc")});
    if (!gzip.waitForStarted())
        return {};
    gzip.write(body);
    gzip.closeWriteChannel();
    if (!gzip.waitForFinished() || gzip.exitStatus() != QProcess::NormalExit || gzip.exitCode() != 0)
        return {};
    return gzip.readAllStandardOutput();
}

QByteArray RawHttpResponse::header(QByteArrayView lowerName) const
{
    for (const auto &h : headers) {
        if (h.first == lowerName)
            return h.second;
    }
    return {};
}

bool RawHttpResponse::hasHeader(QByteArrayView lowerName) const
{
    for (const auto &h : headers) {
        if (h.first == lowerName)
            return true;
    }
    return false;
}

QList<QByteArray> RawHttpResponse::headerValues(QByteArrayView lowerName) const
{
    QList<QByteArray> values;
    for (const auto &h : headers) {
        if (h.first == lowerName)
            values.append(h.second);
    }
    return values;
}

RawHttpClient::RawHttpClient(QObject *parent)
    : QObject(parent), m_socket(new QTcpSocket(this))
{
    connect(m_socket, &QTcpSocket::readyRead, this, &RawHttpClient::onReadyRead);
}

RawHttpClient::~RawHttpClient() = default;

bool RawHttpClient::connectToHost(const QHostAddress &address, quint16 port, int timeoutMs)
{
    m_host = (address.protocol() == QAbstractSocket::IPv6Protocol
                  ? '[' + address.toString().toLatin1() + ']'
                  : address.toString().toLatin1())
        + ':' + QByteArray::number(port);
    m_socket->connectToHost(address, port);
    return QTest::qWaitFor([this] { return m_socket->state() == QAbstractSocket::ConnectedState; },
                           timeoutMs);
}

bool RawHttpClient::isConnected() const
{
    return m_socket->state() == QAbstractSocket::ConnectedState;
}

void RawHttpClient::sendRaw(const QByteArray &raw)
{
    m_socket->write(raw);
    m_socket->flush();
}

void RawHttpClient::sendRequest(const QByteArray &method, const QByteArray &target,
                                const QByteArray &body, const QList<QByteArray> &headers)
{
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\nHost: " + m_host + "\r\n";
    for (const QByteArray &h : headers)
        out += h + "\r\n";
    if (!body.isEmpty() || method == "POST")
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "\r\n" + body;
    sendRaw(out);
}

RawHttpResponse RawHttpClient::waitForResponse(int timeoutMs)
{
    if (!QTest::qWaitFor([this] { return !m_responses.isEmpty(); }, timeoutMs))
        return {};
    return m_responses.takeFirst();
}

RawHttpResponse RawHttpClient::request(const QByteArray &method, const QByteArray &target,
                                       const QByteArray &body, const QList<QByteArray> &headers,
                                       int timeoutMs)
{
    sendRequest(method, target, body, headers);
    return waitForResponse(timeoutMs);
}

int RawHttpClient::pendingResponses() const
{
    return int(m_responses.size());
}

bool RawHttpClient::waitForDisconnected(int timeoutMs)
{
    return QTest::qWaitFor(
        [this] { return m_socket->state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
}

void RawHttpClient::abort()
{
    m_socket->abort();
}

QByteArray RawHttpClient::unparsed() const
{
    return m_buffer;
}

QTcpSocket *RawHttpClient::socket() const
{
    return m_socket;
}

void RawHttpClient::onReadyRead()
{
    m_buffer += m_socket->readAll();
    while (parseOne())
        Q_EMIT responseReceived();
}

// Responses of our server always carry Content-Length; a response without one is complete
// only once the connection closes, which this client does not wait for.
bool RawHttpClient::parseOne()
{
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return false;
    const QList<QByteArray> lines = m_buffer.left(end).split('\n');
    RawHttpResponse r;
    const QByteArray statusLine = lines.first().trimmed();
    const QList<QByteArray> parts = statusLine.split(' ');
    if (parts.size() < 2)
        return false;
    r.status = parts.at(1).toInt();
    r.reason = statusLine.mid(parts.at(0).size() + parts.at(1).size() + 2);
    qsizetype length = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        r.headers.append({line.left(colon).toLower(), line.mid(colon + 1).trimmed()});
        if (r.headers.last().first == "content-length")
            length = r.headers.last().second.toLongLong();
    }
    if (m_buffer.size() < end + 4 + length)
        return false;
    r.body = m_buffer.mid(end + 4, length);
    m_buffer.remove(0, end + 4 + length);
    m_responses.append(r);
    return true;
}
