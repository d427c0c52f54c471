#include "redislink_p.h"

#include "redislogging_p.h"

#include <QPointer>
#include <QSocketNotifier>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace SocketIo {

namespace {

// hiredis event hooks for one context. Lives exactly as long as the context: hiredis calls
// cleanup() when it frees the context, possibly from inside read(), so it goes with deleteLater().
class EventHooks : public QObject
{
public:
    explicit EventHooks(redisAsyncContext *ac) : m_context(ac)
    {
        ac->ev.data = this;
        ac->ev.addRead = [](void *p) { static_cast<EventHooks *>(p)->setEnabled(QSocketNotifier::Read, true); };
        ac->ev.delRead = [](void *p) { static_cast<EventHooks *>(p)->setEnabled(QSocketNotifier::Read, false); };
        ac->ev.addWrite = [](void *p) { static_cast<EventHooks *>(p)->setEnabled(QSocketNotifier::Write, true); };
        ac->ev.delWrite = [](void *p) { static_cast<EventHooks *>(p)->setEnabled(QSocketNotifier::Write, false); };
        ac->ev.cleanup = [](void *p) { static_cast<EventHooks *>(p)->cleanup(); };
    }

private:
    void setEnabled(QSocketNotifier::Type type, bool enabled)
    {
        if (!m_context)
            return;
        QSocketNotifier *&notifier = type == QSocketNotifier::Read ? m_read : m_write;
        if (!notifier) {
            if (!enabled)
                return;
            notifier = new QSocketNotifier(m_context->c.fd, type, this);
            connect(notifier, &QSocketNotifier::activated, this, [this, type] {
                if (!m_context)
                    return;
                if (type == QSocketNotifier::Read)
                    redisAsyncHandleRead(m_context);
                else
                    redisAsyncHandleWrite(m_context);
            });
        }
        notifier->setEnabled(enabled);
    }

    void cleanup()
    {
        m_context = nullptr;
        if (m_read)
            m_read->setEnabled(false);
        if (m_write)
            m_write->setEnabled(false);
        deleteLater();
    }

    redisAsyncContext *m_context = nullptr;
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
};

struct PendingCommand
{
    RedisLink::ReplyCallback callback;
};

RedisLink *linkOf(const redisAsyncContext *ac)
{
    return ac ? static_cast<RedisLink *>(ac->data) : nullptr;
}

QString replyError(redisReply *reply)
{
    if (!reply)
        return QStringLiteral("no reply");
    if (reply->type == REDIS_REPLY_ERROR)
        return QString::fromUtf8(reply->str, int(reply->len));
    return QString();
}

} // namespace

RedisLink::RedisLink(const QString &name, const RedisAdapterOptions &options, QObject *parent)
    : QObject(parent), m_name(name), m_options(options)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisLink::connectNow);
}

RedisLink::~RedisLink()
{
    if (m_context) {
        redisAsyncContext *ac = m_context;
        m_context = nullptr;
        ac->data = nullptr;   // callbacks run by the free below must not reach us
        redisAsyncFree(ac);
    }
}

void RedisLink::start()
{
    if (!m_context && !m_reconnectTimer.isActive())
        connectNow();
}

void RedisLink::connectNow()
{
    m_ready = false;
    const QByteArray host = m_options.host.toUtf8();
    redisAsyncContext *ac = redisAsyncConnect(host.constData(), m_options.port);
    if (!ac) {
        failed(QStringLiteral("cannot allocate a hiredis context"));
        return;
    }
    if (ac->err) {
        const QString error = QString::fromUtf8(ac->errstr);
        redisAsyncFree(ac);
        failed(error);
        return;
    }
    m_context = ac;
    ac->data = this;
    new EventHooks(ac);
    redisAsyncSetConnectCallback(ac, &RedisLink::onConnect);
    redisAsyncSetDisconnectCallback(ac, &RedisLink::onDisconnect);
    qCDebug(lcRedis, "%s: connecting to %s:%d", qUtf8Printable(m_name), host.constData(), int(m_options.port));
}

void RedisLink::onConnect(const redisAsyncContext *ac, int status)
{
    RedisLink *link = linkOf(ac);
    if (!link)
        return;
    if (status != REDIS_OK) {
        // hiredis frees the context after this callback
        const QString error = QString::fromUtf8(ac->errstr);
        link->m_context = nullptr;
        link->failed(error);
        return;
    }
    link->handshakeStep(0);
}

void RedisLink::onDisconnect(const redisAsyncContext *ac, int status)
{
    RedisLink *link = linkOf(ac);
    if (!link)
        return;
    link->m_context = nullptr;   // freed by hiredis after this callback
    link->m_ready = false;
    QString error = std::exchange(link->m_handshakeError, QString());
    if (error.isEmpty())
        error = status == REDIS_OK ? QStringLiteral("connection closed")
                                   : QStringLiteral("connection lost: %1").arg(QString::fromUtf8(ac->errstr));
    link->failed(error);
}

void RedisLink::handshakeStep(int step)
{
    // 0: AUTH if a password is set; 1: SELECT if db != 0; 2: ready
    if (step == 0 && m_options.password.isEmpty())
        step = 1;
    if (step == 1 && m_options.db == 0)
        step = 2;
    if (step == 2) {
        m_ready = true;
        m_attempts = 0;
        qCDebug(lcRedis, "%s: connected", qUtf8Printable(m_name));
        Q_EMIT ready();
        return;
    }
    QList<QByteArray> args;
    if (step == 0) {
        args << QByteArrayLiteral("AUTH");
        if (!m_options.username.isEmpty())
            args << m_options.username.toUtf8();
        args << m_options.password.toUtf8();
    } else {
        args << QByteArrayLiteral("SELECT") << QByteArray::number(m_options.db);
    }
    m_ready = true;   // command() requires it; nothing else is sent before ready()
    QPointer<RedisLink> guard(this);
    command(args, [guard, step](redisReply *reply) {
        if (!guard)
            return;
        const QString error = replyError(reply);
        if (!reply)
            return;   // the link dropped: onDisconnect reports it
        if (!error.isEmpty()) {
            // drop the connection and try again later (the password may be set meanwhile)
            guard->m_handshakeError = QStringLiteral("%1 refused: %2")
                                              .arg(step == 0 ? QStringLiteral("AUTH") : QStringLiteral("SELECT"), error);
            if (guard->m_context)
                redisAsyncDisconnect(guard->m_context);
            return;
        }
        guard->handshakeStep(step + 1);
    });
    m_ready = false;
}

void RedisLink::failed(const QString &error)
{
    m_ready = false;
    m_pendingSubscriptions = 0;
    ++m_attempts;
    scheduleReconnect();
    Q_EMIT lost(error);
}

void RedisLink::scheduleReconnect()
{
    auto delay = m_options.reconnectDelay;
    for (int i = 1; i < m_attempts && delay < m_options.reconnectDelayMax; ++i)
        delay *= 2;
    delay = std::min(delay, m_options.reconnectDelayMax);
    m_reconnectTimer.start(std::max(delay, std::chrono::milliseconds(1)));
}

bool RedisLink::command(const QList<QByteArray> &args, const ReplyCallback &callback)
{
    if (!m_ready || !m_context || args.isEmpty())
        return false;
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(size_t(args.size()));
    lengths.reserve(size_t(args.size()));
    for (const QByteArray &arg : args) {
        argv.push_back(arg.constData());
        lengths.push_back(size_t(arg.size()));
    }
    auto *pending = callback ? new PendingCommand{callback} : nullptr;
    const int rc = redisAsyncCommandArgv(m_context, pending ? &RedisLink::onReply : nullptr, pending,
                                         int(argv.size()), argv.data(), lengths.data());
    if (rc != REDIS_OK) {
        delete pending;
        return false;
    }
    return true;
}

bool RedisLink::subscribe(const QList<QByteArray> &args)
{
    if (!m_ready || !m_context || args.size() < 2)
        return false;
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    for (const QByteArray &arg : args) {
        argv.push_back(arg.constData());
        lengths.push_back(size_t(arg.size()));
    }
    // privdata is the link itself: hiredis calls this callback for every message of these channels
    if (redisAsyncCommandArgv(m_context, &RedisLink::onSubscription, this, int(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK)
        return false;
    if (args.at(0) == "SUBSCRIBE" || args.at(0) == "PSUBSCRIBE")
        m_pendingSubscriptions += int(args.size()) - 1;
    return true;
}

void RedisLink::onReply(redisAsyncContext *ac, void *reply, void *privdata)
{
    auto *pending = static_cast<PendingCommand *>(privdata);
    if (!pending)
        return;
    // a link being destroyed (ac->data cleared) does not call back into its owners
    if (linkOf(ac) && pending->callback)
        pending->callback(static_cast<redisReply *>(reply));
    delete pending;
}

void RedisLink::onSubscription(redisAsyncContext *ac, void *r, void *)
{
    RedisLink *link = linkOf(ac);
    auto *reply = static_cast<redisReply *>(r);
    if (!link || !reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    const QByteArray kind(reply->element[0]->str, qsizetype(reply->element[0]->len));
    redisReply *channel = nullptr;
    redisReply *payload = nullptr;
    if (kind == "message") {
        channel = reply->element[1];
        payload = reply->element[2];
    } else if (kind == "pmessage" && reply->elements >= 4) {
        channel = reply->element[2];
        payload = reply->element[3];
    } else {
        if ((kind == "subscribe" || kind == "psubscribe") && link->m_pendingSubscriptions > 0
            && --link->m_pendingSubscriptions == 0)
            Q_EMIT link->subscriptionsConfirmed();
        return;
    }
    if (channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING)
        return;
    Q_EMIT link->messageReceived(QByteArray(channel->str, qsizetype(channel->len)),
                                 QByteArray(payload->str, qsizetype(payload->len)));
}

} // namespace SocketIo
