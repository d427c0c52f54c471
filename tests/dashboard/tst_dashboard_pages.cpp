// Every page of the dashboard (QML module SocketIoAdmin), rendered offscreen with the software
// scene graph, fed by a real instrumented server (npm socket.io + @socket.io/admin-ui, basic
// auth) and real clients. Each page is checked for its content and saved as
// ${SOCKETIO_BINARY_DIR}/screenshots/dashboard-<page>.png, which must not be blank.
#include "dashboardbackend.h"

#include "connectionlist.h"

#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSet>
#include <QSignalSpy>
#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(SocketIoAdmin_ModelsPlugin)
Q_IMPORT_QML_PLUGIN(SocketIoAdminPlugin)

using namespace Qt::StringLiterals;
using namespace SocketIo::Dashboard;
using SocketIo::Test::BackendOptions;
using SocketIo::Test::DashboardBackend;
using SocketIo::Test::TestClient;
using State = AdminConnection::State;

namespace {
int distinctColours(const QImage &image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 2) {
        const QRgb *line = reinterpret_cast<const QRgb *>(image.constScanLine(y));
        for (int x = 0; x < image.width(); x += 2)
            colours.insert(line[x]);
    }
    return int(colours.size());
}
} // namespace

class tst_DashboardPages : public QObject
{
    Q_OBJECT

    std::unique_ptr<DashboardBackend> m_backend;
    std::unique_ptr<TestClient> m_alice;
    std::unique_ptr<TestClient> m_bob;
    std::unique_ptr<ConnectionList> m_connections;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
    AdminConnection *m_connection = nullptr;

    /*! Shows page \a index, waits for \a ready, saves and checks the screenshot. */
    void shoot(int index, const QString &name)
    {
        m_window->setProperty("page", index);
        QTRY_COMPARE(m_window->property("page").toInt(), index);
        // the views catch up with the models' pending batches; grabWindow() polishes and renders
        for (KeyedListModel *m : {static_cast<KeyedListModel *>(m_connection->sockets()),
                                  static_cast<KeyedListModel *>(m_connection->rooms()),
                                  static_cast<KeyedListModel *>(m_connection->clients())})
            m->flush();
        m_connection->eventLog()->flush();
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        const QImage image = m_window->grabWindow();
        QVERIFY(!image.isNull());
        const QString dir = QStringLiteral(SOCKETIO_BINARY_DIR) + u"/screenshots"_s;
        QVERIFY(QDir().mkpath(dir));
        const QString file = dir + u"/dashboard-"_s + name + u".png"_s;
        QVERIFY2(image.save(file), qPrintable(file));
        const int colours = distinctColours(image.convertToFormat(QImage::Format_ARGB32));
        qInfo("%s: %dx%d, %d colours", qPrintable(file), image.width(), image.height(), colours);
        QVERIFY2(colours > 12, "the page is not blank");
    }

    QObject *find(const char *objectName)
    {
        return m_window->findChild<QObject *>(QString::fromLatin1(objectName));
    }

    /*! A page that is one list: waits until the view \a listName shows \a count rows, then
        shoot(index, name). */
    void listPage(const char *listName, int count, int index, const QString &name)
    {
        QObject *list = find(listName);
        QVERIFY(list);
        QTRY_COMPARE(list->property("count").toInt(), count);
        shoot(index, name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<SocketIo::Message>();
        qRegisterMetaType<SocketIo::DisconnectReason>();
        SOCKETIO_REQUIRE_NODE();
        BackendOptions o;
        o.basicAuth = true;
        m_backend = std::make_unique<DashboardBackend>(DashboardBackend::Kind::Node, o);
        QVERIFY(m_backend->start());
        m_alice = std::make_unique<TestClient>(m_backend->url(), u"alice"_s, true);
        m_bob = std::make_unique<TestClient>(m_backend->url(), u"bob"_s, false);
        QVERIFY(m_alice->waitConnected());
        QVERIFY(m_bob->waitConnected());

        m_connections = std::make_unique<ConnectionList>(QString(), nullptr);
        m_connection = m_connections->addConnection(m_backend->url(), QString(), QString(), false, u"admin"_s);
        m_engine = std::make_unique<QQmlApplicationEngine>();
        m_engine->addImportPath(u"qrc:/qt/qml"_s);
        m_engine->setInitialProperties({{u"connections"_s, QVariant::fromValue(m_connections.get())}});
        QList<QQmlError> errors;
        connect(m_engine.get(), &QQmlEngine::warnings, this, [&errors](const QList<QQmlError> &w) { errors << w; });
        m_engine->load(QUrl(u"qrc:/qt/qml/SocketIoAdmin/Main.qml"_s));
        QCOMPARE(m_engine->rootObjects().size(), 1);
        m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
        QVERIFY(m_window);
        m_window->resize(1280, 800);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        for (const QQmlError &e : std::as_const(errors))
            qWarning("%s", qPrintable(e.toString()));
        QVERIFY2(errors.isEmpty(), "no QML warnings");
    }

    void connectPage()
    {
        // this window runs without a keychain (as --no-keychain): no "remember" to offer; what a
        // keychain refuses is shown on the page
        m_window->setProperty("page", 0);
        QObject *password = find("passwordField");
        QVERIFY(password);
        QTRY_VERIFY(password->property("visible").toBool());
        QObject *remember = find("rememberPassword");
        QVERIFY(remember);
        QVERIFY(!remember->property("visible").toBool());
        QObject *keychainError = find("keychainError");
        QVERIFY(keychainError);
        QVERIFY(!keychainError->property("visible").toBool());
        Q_EMIT m_connections->credentialError(u"The name org.freedesktop.secrets was not provided"_s);
        QTRY_VERIFY(keychainError->property("visible").toBool());
        QVERIFY(keychainError->property("text").toString().contains(u"org.freedesktop.secrets"_s));

        // a wrong password: the connect page shows the login error
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"refused: \"invalid credentials\""_s));
        m_connections->connectTo(0, u"wrong"_s, false);
        QTRY_COMPARE_WITH_TIMEOUT(m_connection->state(), State::Failed, 10000);
        QCOMPARE(m_window->property("page").toInt(), 0);
        QObject *error = find("loginError");
        QVERIFY(error);
        QTRY_VERIFY(error->property("visible").toBool());
        QVERIFY(error->property("text").toString().startsWith(u"Invalid credentials"_s));
        find("passwordField")->setProperty("text", u"changeit"_s);
        shoot(0, u"connect"_s);

        // the right one: connected, the window moves to the overview
        m_connections->connectTo(0, u"changeit"_s, false);
        QTRY_COMPARE_WITH_TIMEOUT(m_connection->state(), State::Connected, 10000);
        QTRY_COMPARE(m_window->property("page").toInt(), 1);
        QVERIFY(!error->property("visible").toBool());

        // some activity for the other pages
        QTRY_VERIFY_WITH_TIMEOUT(m_connection->sockets()->contains(u"/"_s, m_bob->id()), 10000);
        QVERIFY(m_connection->joinRoom(u"/"_s, u"lobby"_s, m_alice->id()));
        QVERIFY(m_connection->joinRoom(u"/"_s, u"lobby"_s, m_bob->id()));
        m_alice->socket->emitEvent(u"message"_s, {u"hello"_s, QCborMap{{u"n"_s, 1}}});
        m_bob->socket->emitEvent(u"message"_s, {u"hi"_s});
        QVERIFY(m_alice->waitReceived(u"message-back"_s));
        QTRY_VERIFY_WITH_TIMEOUT(m_connection->rooms()->members(u"/"_s, u"lobby"_s).size() == 2, 10000);
    }

    void overviewPage()
    {
        QTRY_VERIFY_WITH_TIMEOUT(m_connection->charts()->totalConnections() >= 3
                                 && m_connection->charts()->totalBytesOut() > 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(m_connection->namespaces()->socketsCount(u"/"_s), 2, 10000);
        shoot(1, u"overview"_s);
    }

    void socketsPage()
    {
        QObject *list = find("socketList");
        QVERIFY(list);
        QTRY_COMPARE(list->property("count").toInt(), 3);   // alice, bob, the dashboard
        find("socketFilter")->setProperty("text", u"polling"_s);
        QTRY_COMPARE(list->property("count").toInt(), 1);
        find("socketFilter")->setProperty("text", QString());
        QTRY_COMPARE(list->property("count").toInt(), 3);
        // open the detail panel of alice
        QQuickItem *page = qobject_cast<QQuickItem *>(list->parent());
        while (page && !page->property("selectedId").isValid())
            page = page->parentItem();
        QVERIFY(page);
        page->setProperty("selectedNsp", u"/"_s);
        page->setProperty("selectedId", m_alice->id());
        m_window->setProperty("page", 2);
        QQuickItem *detail = qobject_cast<QQuickItem *>(find("socketDetail"));
        QVERIFY(detail);
        QTRY_VERIFY2(detail->isVisible() && detail->width() >= 300,
                     qPrintable(u"visible %1 width %2 x %3 selected %4"_s.arg(detail->isVisible()).arg(detail->width()).arg(detail->x()).arg(page->property("selectedId").toString())));
        QCOMPARE(detail->property("info").toMap().value(u"socketId"_s).toString(), m_alice->id());
        QCOMPARE(detail->property("info").toMap().value(u"rooms"_s).toStringList().size(), 2);
        shoot(2, u"sockets"_s);

        // the detail panel's Join button acts on the real server
        QObject *field = find("joinRoomField");
        QObject *join = find("joinRoomButton");
        QVERIFY(field && join);
        QVERIFY(join->property("visible").toBool());   // the server allows JOIN
        field->setProperty("text", u"vip"_s);
        QVERIFY(QMetaObject::invokeMethod(join, "clicked"));
        QTRY_VERIFY_WITH_TIMEOUT(m_connection->rooms()->members(u"/"_s, u"vip"_s) == QStringList{m_alice->id()}, 10000);
        QVERIFY(m_backend->serverRooms(u"/"_s, m_alice->id()).contains(u"vip"_s));
        QTRY_COMPARE(detail->property("info").toMap().value(u"rooms"_s).toStringList().size(), 3);
        QVERIFY(m_connection->leaveRoom(u"/"_s, u"vip"_s, m_alice->id()));
        QTRY_VERIFY_WITH_TIMEOUT(!m_connection->rooms()->contains(u"/"_s, u"vip"_s), 10000);
    }

    void roomsPage()
    {
        listPage("roomList", 4, 3, u"rooms"_s);   // lobby and each socket's own room
        // the private rooms are hidden (the default) and take no space: one row's height, for lobby
        QObject *list = find("roomList");
        QTRY_COMPARE(list->property("contentHeight").toReal(), 56.0);
    }

    void clientsPage() { listPage("clientList", 3, 4, u"clients"_s); }

    void eventsPage()
    {
        QObject *list = find("eventList");
        QVERIFY(list);
        QTRY_VERIFY_WITH_TIMEOUT(m_connection->eventLogFilter()->rowCount() >= 4, 10000);
        QTRY_COMPARE(list->property("count").toInt(), m_connection->eventLogFilter()->rowCount());
        find("eventSearch")->setProperty("text", u"hello"_s);
        QTRY_COMPARE(list->property("count").toInt(), 2);   // received and echoed
        find("eventSearch")->setProperty("text", QString());
        shoot(5, u"events"_s);
    }

    void serversPage() { listPage("serverList", 1, 6, u"servers"_s); }

    void navigationAcrossReconnections()
    {
        // a reconnection (a network blip, a server restart) leaves the user on the page they read
        m_window->setProperty("page", 5);
        QSignalSpy states(m_connection, &AdminConnection::stateChanged);
        m_connection->close();
        m_connection->open();   // with the session id the server gave
        QTRY_COMPARE_WITH_TIMEOUT(m_connection->state(), State::Connected, 10000);
        QVERIFY(states.size() >= 2);
        QCOMPARE(m_window->property("page").toInt(), 5);

        // a refused login brings the login form back, wherever the user was
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"refused: \"invalid credentials\""_s));
        m_connections->connectTo(0, u"wrong"_s, false);
        QTRY_COMPARE_WITH_TIMEOUT(m_connection->state(), State::Failed, 10000);
        QCOMPARE(m_window->property("page").toInt(), 0);
        QTRY_VERIFY(find("loginError")->property("visible").toBool());
    }

    void productionServerOverview()
    {
        // a second server, in production mode: its statistics show, with a notice and no error
        BackendOptions o;
        o.production = true;
        o.serverId = u"node-production"_s;
        DashboardBackend production(DashboardBackend::Kind::Node, o);
        QVERIFY(production.start());
        TestClient carol(production.url(), u"carol"_s);
        QVERIFY(carol.waitConnected());
        AdminConnection *c = m_connections->addConnection(production.url());
        QCOMPARE(m_connections->count(), 2);
        // a filter typed for the first server applies to the second once it is shown (each
        // server has its own filter model; the field shows one text for both)
        QObject *socketFilter = find("socketFilter");
        QObject *eventSearch = find("eventSearch");
        socketFilter->setProperty("text", u"zz"_s);
        eventSearch->setProperty("text", u"yy"_s);
        QCOMPARE(m_connection->socketsFilter()->property("filterText").toString(), u"zz"_s);
        QVERIFY(c->socketsFilter()->property("filterText").toString().isEmpty());
        m_connections->setCurrentIndex(1);
        QCOMPARE(m_window->property("connection").value<QObject *>(), c);
        QCOMPARE(c->socketsFilter()->property("filterText").toString(), u"zz"_s);
        QCOMPARE(c->eventLogFilter()->property("searchText").toString(), u"yy"_s);
        socketFilter->setProperty("text", QString());
        eventSearch->setProperty("text", QString());
        QVERIFY(c->socketsFilter()->property("filterText").toString().isEmpty());
        m_connections->connectTo(1);
        QTRY_COMPARE_WITH_TIMEOUT(c->state(), State::Connected, 10000);
        QTRY_VERIFY(!c->supportedFeatures().isEmpty());
        QVERIFY(!c->isDevelopmentMode());
        QTRY_VERIFY_WITH_TIMEOUT(c->charts()->totalConnections() >= 2, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(c->namespaces()->socketsCount(u"/"_s), 1, 10000);
        QObject *header = find("overviewHeader");
        QVERIFY(header);
        QVERIFY(header->property("notice").toString().startsWith(u"Production mode"_s));
        m_connection = c;
        shoot(1, u"overview-production"_s);
        QCOMPARE(c->state(), State::Connected);
        QVERIFY(c->errorString().isEmpty());
    }

    void cleanupTestCase()
    {
        m_window->hide();
        m_window->releaseResources();
        QCoreApplication::processEvents();
        m_engine.reset();
        // the scene graph releases its textures with deleteLater()
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        m_connections.reset();
        m_alice.reset();
        m_bob.reset();
        m_backend.reset();
    }
};

int main(int argc, char *argv[])
{
    QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    QGuiApplication app(argc, argv);
    QQuickStyle::setStyle(u"Fusion"_s);
    tst_DashboardPages test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_dashboard_pages.moc"
