#include "redisshardsubscriber_p.h"

#include "redislogging_p.h"

#include <QPointer>
#include <QTcpSocket>

#include <hiredis/hiredis.h>

#include <algorithm>

namespace SocketIo {

namespace {

QByteArray replyText(const redisReply *reply)
{
    if (!reply || !reply->str)
        return QByteArray();
    return QByteArray(reply->str, qsizetype(reply->len));
}

} // namespace

RedisShardSubscriber::RedisShardSubscriber(const QString &name, const RedisAdapterOptions &options, QObject *parent)
    : QObject(parent), m_name(name), m_options(options)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisShardSubscriber::connectNow);
}

RedisShardSubscriber::~RedisShardSubscriber()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
    if (m_reader)
        redisReaderFree(m_reader);
}

void RedisShardSubscriber::start()
{
    if (!m_socket && !m_reconnectTimer.isActive())
        connectNow();
}

void RedisShardSubscriber::connectNow()
{
    m_ready = false;
    m_authPending = false;
    m_pendingSubscriptions = 0;
    if (m_reader)
        redisReaderFree(m_reader);
    m_reader = redisReaderCreate();
    auto *socket = new QTcpSocket(this);
    m_socket = socket;
    connect(socket, &QTcpSocket::connected, this, &RedisShardSubscriber::onConnected);
    connect(socket, &QTcpSocket::readyRead, this, &RedisShardSubscriber::onReadyRead);
    connect(socket, &QTcpSocket::errorOccurred, this, [this, socket] {
        if (socket == m_socket)
            onDisconnected(socket->errorString());
    });
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        if (socket == m_socket)
            onDisconnected(QStringLiteral("connection closed"));
    });
    qCDebug(lcRedis, "%s: connecting to %s:%d", qUtf8Printable(m_name), qUtf8Printable(m_options.host),
            int(m_options.port));
    socket->connectToHost(m_options.host, m_options.port);
}

void RedisShardSubscriber::onConnected()
{
    if (m_options.password.isEmpty()) {
        m_ready = true;
        m_attempts = 0;
        qCDebug(lcRedis, "%s: connected", qUtf8Printable(m_name));
        Q_EMIT ready();
        return;
    }
    QList<QByteArray> args{QByteArrayLiteral("AUTH")};
    if (!m_options.username.isEmpty())
        args << m_options.username.toUtf8();
    args << m_options.password.toUtf8();
    m_authPending = true;
    write(args);
}

void RedisShardSubscriber::onDisconnected(const QString &error)
{
    if (!m_socket)
        return;
    QTcpSocket *socket = m_socket;
    m_socket = nullptr;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
    m_ready = false;
    m_authPending = false;
    m_pendingSubscriptions = 0;
    ++m_attempts;
    scheduleReconnect();
    Q_EMIT lost(error);
}

void RedisShardSubscriber::scheduleReconnect()
{
    auto delay = m_options.reconnectDelay;
    for (int i = 1; i < m_attempts && delay < m_options.reconnectDelayMax; ++i)
        delay *= 2;
    delay = std::min(delay, m_options.reconnectDelayMax);
    m_reconnectTimer.start(std::max(delay, std::chrono::milliseconds(1)));
}

void RedisShardSubscriber::write(const QList<QByteArray> &args)
{
    if (!m_socket)
        return;
    QByteArray out = '*' + QByteArray::number(args.size()) + "\r\n";
    for (const QByteArray &arg : args)
        out += '$' + QByteArray::number(arg.size()) + "\r\n" + arg + "\r\n";
    m_socket->write(out);
}

bool RedisShardSubscriber::send(bool subscribe, const QList<QByteArray> &channels)
{
    if (!m_ready || !m_socket)
        return false;
    const QByteArray command = subscribe ? QByteArrayLiteral("SSUBSCRIBE") : QByteArrayLiteral("SUNSUBSCRIBE");
    for (const QByteArray &channel : channels) {
        write({command, channel});
        if (subscribe)
            ++m_pendingSubscriptions;
    }
    return true;
}

void RedisShardSubscriber::onReadyRead()
{
    if (!m_socket || !m_reader)
        return;
    const QByteArray data = m_socket->readAll();
    if (redisReaderFeed(m_reader, data.constData(), size_t(data.size())) != REDIS_OK) {
        onDisconnected(QStringLiteral("protocol error: %1").arg(QString::fromUtf8(m_reader->errstr)));
        return;
    }
    QPointer<RedisShardSubscriber> guard(this);
    while (guard && m_socket) {
        void *reply = nullptr;
        if (redisReaderGetReply(m_reader, &reply) != REDIS_OK) {
            onDisconnected(QStringLiteral("protocol error: %1").arg(QString::fromUtf8(m_reader->errstr)));
            return;
        }
        if (!reply)
            return;
        auto *r = static_cast<redisReply *>(reply);
        handleReply(r);
        freeReplyObject(r);
    }
}

void RedisShardSubscriber::handleReply(redisReply *reply)
{
    if (m_authPending) {
        m_authPending = false;
        if (reply->type == REDIS_REPLY_ERROR) {
            const QString error = QStringLiteral("AUTH refused: %1").arg(QString::fromUtf8(replyText(reply)));
            onDisconnected(error);
            return;
        }
        m_ready = true;
        m_attempts = 0;
        qCDebug(lcRedis, "%s: connected", qUtf8Printable(m_name));
        Q_EMIT ready();
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        // e.g. a Redis older than 7 (unknown command 'SSUBSCRIBE'), or a cluster's MOVED
        qCWarning(lcRedis, "%s: Redis refused a sharded subscription: %s (sharded Pub/Sub needs Redis 7)",
                  qUtf8Printable(m_name), replyText(reply).constData());
        if (m_pendingSubscriptions > 0 && --m_pendingSubscriptions == 0)
            Q_EMIT subscriptionsConfirmed();
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 || reply->element[0]->type != REDIS_REPLY_STRING) {
        qCDebug(lcRedis, "%s: ignoring an unexpected reply of type %d", qUtf8Printable(m_name), reply->type);
        return;
    }
    const QByteArray kind = replyText(reply->element[0]);
    if (kind == "smessage") {
        if (reply->element[1]->type != REDIS_REPLY_STRING || reply->element[2]->type != REDIS_REPLY_STRING)
            return;
        Q_EMIT messageReceived(replyText(reply->element[1]), replyText(reply->element[2]));
    } else if (kind == "ssubscribe") {
        if (m_pendingSubscriptions > 0 && --m_pendingSubscriptions == 0)
            Q_EMIT subscriptionsConfirmed();
    }
}

} // namespace SocketIo
