// Connection state recovery end to end (protocol.md 3): our SocketIo::Client against our
// SocketIo::Server with connectionStateRecovery on, in three transport modes and three ways of
// losing the connection (the server aborts the Engine.IO session, the server closes its transport,
// the network drops every TCP connection for a while). The client reconnects by itself, gets the
// same id back with isRecovered(), receives every event emitted to it and to its room while it was
// away exactly once and in order, and live events flow again. Without recovery: a new session.
#include "siotesthelpers.h"

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Client;
using SocketIo::ClientOptions;
using SocketIo::ClientSocket;
using SocketIo::DisconnectReason;
using SocketIo::Message;
using SocketIo::Server;
using SocketIo::Socket;

namespace {

/*!
  A loopback TCP relay between the client and the server, standing for the network: cut() drops
  every connection at once (each side sees its TCP connection end) and refuses new ones until
  restore(), like a network outage.
*/
class TcpRelay : public QObject
{
public:
    explicit TcpRelay(quint16 targetPort, QObject *parent = nullptr)
        : QObject(parent)
        , m_target(targetPort)
    {
        QObject::connect(&m_listener, &QTcpServer::newConnection, this, [this] { onNewConnection(); });
    }

    bool listen() { return m_listener.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_listener.serverPort(); }

    /*! Aborts every relayed connection and refuses new ones until restore(). */
    void cut()
    {
        m_down = true;
        const auto pairs = m_pairs;
        m_pairs.clear();
        for (const auto &pair : pairs)
            drop(pair.first, pair.second);
    }
    void restore() { m_down = false; }
    int refusedConnections() const { return m_refused; }

private:
    void onNewConnection()
    {
        while (QTcpSocket *in = m_listener.nextPendingConnection()) {
            if (m_down) {
                ++m_refused;
                in->abort();
                in->deleteLater();
                continue;
            }
            auto *out = new QTcpSocket(this);
            in->setParent(this);
            m_pairs.append(qMakePair(in, out));
            // writes before the outgoing connection is up are buffered by QAbstractSocket
            QObject::connect(in, &QTcpSocket::readyRead, out, [in, out] { out->write(in->readAll()); });
            QObject::connect(out, &QTcpSocket::readyRead, in, [in, out] { in->write(out->readAll()); });
            QObject::connect(in, &QTcpSocket::disconnected, this, [this, in, out] { closePair(in, out); });
            QObject::connect(out, &QTcpSocket::disconnected, this, [this, in, out] { closePair(in, out); });
            out->connectToHost(QHostAddress::LocalHost, m_target);
        }
    }

    void closePair(QTcpSocket *in, QTcpSocket *out)
    {
        if (!m_pairs.removeOne(qMakePair(in, out)))
            return;
        in->disconnect(this);
        out->disconnect(this);
        // what one side already sent still reaches the other before the close
        if (in->state() == QAbstractSocket::ConnectedState)
            out->write(in->readAll());
        if (out->state() == QAbstractSocket::ConnectedState)
            in->write(out->readAll());
        in->disconnectFromHost();
        out->disconnectFromHost();
        in->deleteLater();
        out->deleteLater();
    }

    static void drop(QTcpSocket *in, QTcpSocket *out)
    {
        in->disconnect();
        out->disconnect();
        in->abort();
        out->abort();
        in->deleteLater();
        out->deleteLater();
    }

    QTcpServer m_listener;
    quint16 m_target;
    bool m_down = false;
    int m_refused = 0;
    QList<QPair<QTcpSocket *, QTcpSocket *>> m_pairs;
};

enum class Cut { SessionAborted, TransportClosedByServer, NetworkOutage };

ClientOptions transportOptions(bool polling, bool websocket)
{
    ClientOptions options;
    options.polling = polling;
    options.websocket = websocket;
    options.reconnectionDelay = 50ms;
    options.reconnectionDelayMax = 200ms;
    return options;
}

SocketIo::ServerOptions recoveryOptions(bool enabled)
{
    SocketIo::ServerOptions options = sioTestOptions();
    options.connectionStateRecovery.enabled = enabled;
    return options;
}

/*! "name:value" for each received event (value: the first argument), what the tests compare. */
QStringList summary(const QList<Message> &messages)
{
    QStringList out;
    for (const Message &m : messages)
        out.append(m.event() + u':' + m.args().at(0).toString());
    return out;
}

} // namespace

Q_DECLARE_METATYPE(Cut)

class tst_ClientRecovery : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void recoversIdRoomsAndMissedEvents_data();
    void recoversIdRoomsAndMissedEvents();
    void withoutRecoveryANewSessionStarts_data();
    void withoutRecoveryANewSessionStarts();
};

void tst_ClientRecovery::initTestCase()
{
    sioRegisterMetaTypes();
}

void tst_ClientRecovery::recoversIdRoomsAndMissedEvents_data()
{
    QTest::addColumn<bool>("polling");
    QTest::addColumn<bool>("websocket");
    QTest::addColumn<Cut>("cut");
    const struct { const char *name; bool polling; bool websocket; } transports[] = {
        {"polling only", true, false},
        {"websocket only", false, true},
        {"polling upgraded to websocket", true, true},
    };
    const struct { const char *name; Cut cut; } cuts[] = {
        {"server aborts the session", Cut::SessionAborted},
        {"server closes the transport", Cut::TransportClosedByServer},
        {"network drops the TCP connections", Cut::NetworkOutage},
    };
    for (const auto &t : transports) {
        for (const auto &c : cuts)
            QTest::addRow("%s, %s", t.name, c.name) << t.polling << t.websocket << c.cut;
    }
}

void tst_ClientRecovery::recoversIdRoomsAndMissedEvents()
{
    QFETCH(bool, polling);
    QFETCH(bool, websocket);
    QFETCH(Cut, cut);
    auto io = sioStartServer(recoveryOptions(true));
    QVERIFY(io);
    TcpRelay relay(io->serverPort());
    QVERIFY(relay.listen());

    QList<QPointer<Socket>> serverSockets;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        serverSockets.append(s);
        if (!s->isRecovered())
            s->join(u"room"_s);
    });

    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(relay.port())), transportOptions(polling, websocket));
    ClientSocket *socket = client.socket();
    QList<Message> received;
    QStringList receivedAtConnect;
    QObject::connect(socket, &ClientSocket::eventReceived, socket, [&](const Message &m) { received.append(m); });
    QObject::connect(socket, &ClientSocket::connected, socket, [&] { receivedAtConnect = summary(received); });
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy reconnected(&client, &Client::reconnected);

    QTRY_COMPARE(connected.size(), 1);
    QVERIFY(!socket->isRecovered());
    const QString id = socket->id();
    QCOMPARE(serverSockets.size(), 1);
    Socket *first = serverSockets.first();
    QCOMPARE(first->id(), id);
    if (polling && websocket)
        QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);

    // live events, each with its offset as an extra last argument
    QVERIFY(first->emitEvent(u"to-socket"_s, {u"live-1"_s}));
    QVERIFY(io->to(u"room"_s).emitEvent(u"to-room"_s, {u"live-2"_s}));
    QTRY_COMPARE(received.size(), 2);
    for (const Message &m : std::as_const(received)) {
        QCOMPARE(m.args().size(), 2);
        QVERIFY(m.args().at(1).isString());
    }

    // While the client is away (from the moment the server drops the socket, before the client
    // can possibly be back), events go to the socket's own room and to the room it joined.
    QSignalSpy serverDisconnected(first, &Socket::disconnected);
    QObject::connect(first, &Socket::disconnected, io.get(), [&, id] {
        io->to(id).emitEvent(u"to-socket"_s, {u"away-1"_s});
        io->to(u"room"_s).emitEvent(u"to-room"_s, {u"away-2"_s});
        io->to(id).emitEvent(u"to-socket"_s, {u"away-3"_s});
    });
    switch (cut) {
    case Cut::SessionAborted:
        first->conn()->abort();
        break;
    case Cut::TransportClosedByServer:
        first->conn()->close();
        break;
    case Cut::NetworkOutage:
        relay.cut();
        break;
    }
    QTRY_COMPARE(serverDisconnected.size(), 1);
    QTRY_COMPARE(disconnected.size(), 1);
    const auto reason = disconnected.first().first().value<DisconnectReason>();
    QVERIFY2(reason == DisconnectReason::TransportClose || reason == DisconnectReason::TransportError
                 || reason == DisconnectReason::PingTimeout,
             qPrintable(SocketIo::reasonString(reason)));
    if (cut == Cut::NetworkOutage) {
        // the client keeps trying while the network is down; one more event meanwhile
        QTRY_VERIFY(relay.refusedConnections() >= 1);
        QVERIFY(io->to(u"room"_s).emitEvent(u"to-room"_s, {u"away-4"_s}));
        relay.restore();
    }

    QTRY_COMPARE(connected.size(), 2);
    QCOMPARE(reconnected.size(), 1);
    QVERIFY(socket->isRecovered());
    QCOMPARE(socket->id(), id);
    QStringList expected{u"to-socket:live-1"_s, u"to-room:live-2"_s, u"to-socket:away-1"_s,
                         u"to-room:away-2"_s, u"to-socket:away-3"_s};
    if (cut == Cut::NetworkOutage)
        expected.append(u"to-room:away-4"_s);
    // the missed events come before connected(), each exactly once and in order
    QCOMPARE(receivedAtConnect, expected);
    QCOMPARE(serverSockets.size(), 2);
    Socket *second = serverSockets.last();
    QVERIFY(second);
    QVERIFY(second->isRecovered());
    QCOMPARE(second->id(), id);
    QVERIFY(second->rooms().contains(u"room"_s));

    // live again, to the socket and to the room it got back
    QVERIFY(second->emitEvent(u"to-socket"_s, {u"after-1"_s}));
    QVERIFY(io->to(u"room"_s).emitEvent(u"to-room"_s, {u"after-2"_s}));
    expected << u"to-socket:after-1"_s << u"to-room:after-2"_s;
    QTRY_COMPARE(received.size(), expected.size());
    QCOMPARE(summary(received), expected);
    QCOMPARE(connected.size(), 2);
    QCOMPARE(disconnected.size(), 1);
}

void tst_ClientRecovery::withoutRecoveryANewSessionStarts_data()
{
    QTest::addColumn<bool>("polling");
    QTest::addColumn<bool>("websocket");
    QTest::newRow("polling only") << true << false;
    QTest::newRow("websocket only") << false << true;
    QTest::newRow("polling upgraded to websocket") << true << true;
}

void tst_ClientRecovery::withoutRecoveryANewSessionStarts()
{
    QFETCH(bool, polling);
    QFETCH(bool, websocket);
    auto io = sioStartServer(recoveryOptions(false));
    QVERIFY(io);
    QList<QPointer<Socket>> serverSockets;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        serverSockets.append(s);
        s->join(u"room"_s);
    });
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(io->serverPort())), transportOptions(polling, websocket));
    ClientSocket *socket = client.socket();
    QList<Message> received;
    QObject::connect(socket, &ClientSocket::eventReceived, socket, [&](const Message &m) { received.append(m); });
    QSignalSpy connected(socket, &ClientSocket::connected);
    QTRY_COMPARE(connected.size(), 1);
    const QString id = socket->id();
    Socket *first = serverSockets.first();
    QVERIFY(first->emitEvent(u"to-socket"_s, {u"live-1"_s}));
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.first().args().size(), 1);   // no offset without recovery

    QObject::connect(first, &Socket::disconnected, io.get(), [&, id] {
        io->to(id).emitEvent(u"to-socket"_s, {u"away-1"_s});
        io->to(u"room"_s).emitEvent(u"to-room"_s, {u"away-2"_s});
    });
    first->conn()->abort();
    QTRY_COMPARE(connected.size(), 2);
    QVERIFY(!socket->isRecovered());
    QVERIFY(socket->id() != id);
    QCOMPARE(serverSockets.size(), 2);
    QVERIFY(!serverSockets.last()->isRecovered());
    QCOMPARE(serverSockets.last()->id(), socket->id());

    QVERIFY(io->to(u"room"_s).emitEvent(u"to-room"_s, {u"after-1"_s}));
    QTRY_COMPARE(received.size(), 2);
    QCOMPARE(summary(received), (QStringList{u"to-socket:live-1"_s, u"to-room:after-1"_s}));
}

QTEST_MAIN(tst_ClientRecovery)
#include "tst_client_recovery.moc"
