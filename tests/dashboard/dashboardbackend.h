// Helpers of the dashboard tests: the monitored server ("node": the npm socket.io@4.8.4 server
// instrumented by @socket.io/admin-ui, tests/interop/js/dashboard-node-server.js; "qt": our
// SocketIo::Server with SocketIo::Instrumentation) and real test clients (our SocketIo::Client).
#pragma once

#include "nodeprocess.h"

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/instrumentation.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QHostAddress>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QUrl>

#include <memory>

namespace SocketIo::Test {

using namespace Qt::StringLiterals;

struct BackendOptions
{
    bool basicAuth = false;
    QString username = u"admin"_s;
    QString password = u"changeit"_s;
    bool readonly = false;
    bool production = false;
    QString serverId;   // default: "node-1" / "qt-1"
};

/*! One monitored server, either kind, restartable on the same port. */
class DashboardBackend
{
public:
    enum class Kind { Node, Qt };

    static void addRows()
    {
        QTest::addColumn<bool>("qtBackend");
        QTest::newRow("node") << false;
        QTest::newRow("qt") << true;
    }
    static Kind rowKind()
    {
        QFETCH(bool, qtBackend);
        return qtBackend ? Kind::Qt : Kind::Node;
    }

    explicit DashboardBackend(Kind kind, const BackendOptions &options = BackendOptions())
        : m_kind(kind), m_options(options)
    {
        if (m_options.serverId.isEmpty())
            m_options.serverId = kind == Kind::Node ? u"node-1"_s : u"qt-1"_s;
    }
    ~DashboardBackend() { stop(); }

    Kind kind() const { return m_kind; }
    QString serverId() const { return m_options.serverId; }
    QUrl url() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(m_port)); }
    quint16 port() const { return m_port; }
    NodeProcess *node() const { return m_node.get(); }
    SocketIo::Server *server() const { return m_server.get(); }

    /*! Starts (or restarts, on the same port once one was chosen); false with a warning on failure. */
    bool start()
    {
        if (m_kind == Kind::Node) {
            m_node = std::make_unique<NodeProcess>();
            QStringList args{u"--port"_s, QString::number(m_port), u"--server-id"_s, m_options.serverId};
            if (m_options.basicAuth)
                args << u"--auth"_s << u"basic"_s << u"--username"_s << m_options.username << u"--password"_s
                     << m_options.password;
            if (m_options.readonly)
                args << u"--readonly"_s;
            if (m_options.production)
                args << u"--mode"_s << u"production"_s;
            if (!m_node->start(u"dashboard-node-server.js"_s, args))
                return false;
            const QJsonObject line = m_node->waitForEvent(u"listening"_s, 15000);
            if (line.isEmpty()) {
                qWarning("node server did not start: %s", qPrintable(m_node->diagnostics()));
                return false;
            }
            m_port = quint16(line.value(u"port"_s).toInt());
            return true;
        }
        m_server = std::make_unique<SocketIo::Server>();   // default heartbeat, as the Node server
        SocketIo::AdminOptions ao;
        if (m_options.basicAuth) {
            if (m_hash.isEmpty())
                m_hash = SocketIo::Instrumentation::hashPassword(m_options.password, 4);
            ao.auth = SocketIo::AdminAuth::basic(m_options.username, m_hash);
        }
        ao.readonly = m_options.readonly;
        ao.mode = m_options.production ? SocketIo::AdminOptions::Mode::Production
                                       : SocketIo::AdminOptions::Mode::Development;
        ao.serverId = m_options.serverId;
        m_instrumentation = std::make_unique<SocketIo::Instrumentation>(m_server.get(), ao);
        if (!m_instrumentation->isValid()) {
            qWarning("instrumentation refused: %s", qPrintable(m_instrumentation->errorString()));
            return false;
        }
        auto handlers = [](SocketIo::Socket *s) {
            const QCborValue user = s->handshake().auth.value(u"user"_s);
            if (!user.isUndefined())
                s->setData(QCborMap{{u"user"_s, user}});
            s->on(u"message"_s, s, [s](const SocketIo::Message &m) { s->emitEvent(u"message-back"_s, m.args()); });
        };
        QObject::connect(m_server.get(), &SocketIo::Server::connection, m_server.get(), handlers);
        QObject::connect(m_server->of(QRegularExpression(u"^/n\\d+$"_s)), &SocketIo::Namespace::connection,
                         m_server.get(), handlers);
        if (!m_server->listen(QHostAddress::LocalHost, m_port)) {
            qWarning("cannot listen: %s", qPrintable(m_server->errorString()));
            return false;
        }
        m_port = m_server->serverPort();
        return true;
    }

    /*! The server vanishes: the Node process is killed, our server is destroyed. */
    void stop()
    {
        if (m_node)
            m_node->kill();
        m_node.reset();
        m_instrumentation.reset();
        m_server.reset();
    }

    /*! The rooms of socket \a id of \a nsp as the server sees them (null list if unknown). */
    QStringList serverRooms(const QString &nsp, const QString &id)
    {
        if (m_kind == Kind::Node) {
            const QString tag = QString::number(++m_tag);
            m_node->send({{u"cmd"_s, u"rooms"_s}, {u"tag"_s, tag}, {u"nsp"_s, nsp}, {u"id"_s, id}});
            const QJsonObject line = m_node->waitForLine(
                    [tag](const QJsonObject &o) { return o.value(u"event"_s) == u"rooms"_s && o.value(u"tag"_s) == tag; });
            QStringList rooms;
            for (const QJsonValue &v : line.value(u"rooms"_s).toArray())
                rooms.append(v.toString());
            rooms.sort();
            return rooms;
        }
        SocketIo::Namespace *n = m_server->findNamespace(nsp);
        SocketIo::Socket *s = n ? n->socket(id) : nullptr;
        if (!s)
            return {};
        QStringList rooms = s->rooms().values();
        rooms.sort();
        return rooms;
    }

private:
    Kind m_kind;
    BackendOptions m_options;
    quint16 m_port = 0;
    QByteArray m_hash;
    int m_tag = 0;
    std::unique_ptr<NodeProcess> m_node;
    std::unique_ptr<SocketIo::Server> m_server;
    std::unique_ptr<SocketIo::Instrumentation> m_instrumentation;
};

/*! A real client of the monitored server (our SocketIo::Client), on "/" by default. */
class TestClient
{
public:
    TestClient(const QUrl &url, const QString &user, bool websocketOnly = false, const QString &nsp = u"/"_s)
    {
        SocketIo::ClientOptions o;
        o.polling = !websocketOnly;
        o.upgrade = false;   // keep the transport as chosen, so the test knows what to expect
        o.reconnection = false;
        client = std::make_unique<SocketIo::Client>(url, o);
        SocketIo::ClientSocketOptions so;
        so.auth = QCborMap{{u"user"_s, user}};
        socket = client->socket(nsp, so);
        received = std::make_unique<QSignalSpy>(socket, &SocketIo::ClientSocket::eventReceived);
        disconnected = std::make_unique<QSignalSpy>(socket, &SocketIo::ClientSocket::disconnected);
    }
    bool waitConnected() { return QTest::qWaitFor([this] { return socket->isConnected(); }, 10000); }
    /*! Whether an event named \a name arrived (waits up to \a ms). */
    bool waitReceived(const QString &name, int ms = 10000)
    {
        auto has = [this, name] {
            for (const auto &call : std::as_const(*received)) {
                if (call.at(0).value<SocketIo::Message>().event() == name)
                    return true;
            }
            return false;
        };
        return QTest::qWaitFor(has, ms);
    }
    QString id() const { return socket->id(); }
    std::unique_ptr<SocketIo::Client> client;
    SocketIo::ClientSocket *socket = nullptr;
    std::unique_ptr<QSignalSpy> received;
    std::unique_ptr<QSignalSpy> disconnected;
};

} // namespace SocketIo::Test
