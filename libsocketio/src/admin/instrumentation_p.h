#pragma once

#include "instrumentation.h"

#include <SocketIo/handshake.h>
#include <SocketIo/message.h>

#include <QCborArray>
#include <QCborMap>
#include <QDeadlineTimer>
#include <QHash>
#include <QList>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QTimer>

namespace SocketIo {

Q_DECLARE_LOGGING_CATEGORY(lcAdmin)

class EngineServer;
class EngineSession;
class Socket;

/*! The aggregatedEvents of server_stats: counters per (second, type, subType), in first-seen
    order, cleared at each emission (the official EventBuffer). push() runs for every Engine.IO
    packet with data, so it allocates nothing once a bucket exists: entries are appended in time
    order, and only those of the current second (a handful of types) are searched. */
class AdminEventBuffer
{
public:
    /*! \a type and \a subType are compared by value; pass long-lived strings (literals). */
    void push(const QString &type, const QString &subType = QString(), qint64 count = 1);
    /*! [{timestamp, type, subType?, count}] and clears. */
    QCborArray takeValues();
    /*! Number of (second, type, subType) buckets held until the next takeValues(). */
    qsizetype size() const { return m_entries.size(); }

private:
    struct Entry
    {
        qint64 timestamp;
        QString type;
        QString subType;
        qint64 count;
    };
    QList<Entry> m_entries;
};

class InstrumentationPrivate
{
    Q_DECLARE_PUBLIC(Instrumentation)
public:
    explicit InstrumentationPrivate(Instrumentation *q);

    bool validate();
    void setUp();
    bool isDevelopment() const { return options.mode == AdminOptions::Mode::Development; }

    // authentication
    void authenticate(Socket *socket, const Next &next);
    void authenticateWithPassword(Socket *socket, const Next &next);
    QString createSession();

    // engine statistics
    void attachEngine();
    void watchSession(EngineSession *session);
    QCborMap serverStats();

    // reporting
    void instrumentNamespace(Namespace *nsp);
    void onConnection(Namespace *nsp, Socket *socket);
    void reportSocket(Namespace *nsp, Socket *socket);
    void tagData(Socket *socket, const QString &transport);
    void sendAllSockets(Socket *adminSocket);
    /*! Whether an admin broadcast can reach anyone: an admin socket here, or an adapter that
        forwards or keeps packets. Without one, the per-event reporting builds nothing. */
    bool hasAudience() const;
    void broadcast(const QString &event, const QCborArray &args);

    // commands
    void registerCommands(Socket *adminSocket);
    void runCommand(const QString &command, const Message &message);

    static QString timestamp();
    static QCborValue publicData(const QCborValue &data);
    static QCborMap serializeHandshake(const Handshake &handshake);
    static QCborMap serialize(const QString &id, const QString &clientId, const QString &transport,
                              const QString &nsp, const QCborValue &data, const Handshake &handshake,
                              const QSet<QString> &rooms);

    Instrumentation *q_ptr;
    QPointer<Server> server;
    AdminOptions options;
    QString error;
    bool valid = false;
    QPointer<Namespace> adminNsp;
    QStringList features;
    std::shared_ptr<AdminSessionStore> sessions;   // options.sessionStore, or our own in memory
    QTimer statsTimer;
    QPointer<EngineServer> engine;
    AdminEventBuffer events;
    QSet<Namespace *> instrumented;
    bool taggingData = false;   // our own setData() calls are not reported
};

} // namespace SocketIo
