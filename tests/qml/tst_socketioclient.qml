import QtQuick
import QtTest
import SocketIo

// Runs against the in-process server of testserver.h ("testServer"); clients tag themselves with
// auth {tag} so the server can count their connections and record their disconnect reasons.
TestCase {
    id: testCase
    name: "SocketIoClient"

    // Literal values are assigned before bindings: active is true before url and auth exist.
    // Connecting before componentComplete() would fail (no url, a warning) or go out without auth.
    Component {
        id: declaredComponent
        SocketIoClient {
            active: true
            auth: ({ tag: "declared" })
            url: testServer.url
        }
    }

    Component {
        id: clientComponent
        SocketIoClient {
            url: testServer.url
        }
    }

    Component {
        id: unknownNamespaceComponent
        SocketIoClient {
            url: testServer.url
            namespace: "/nope"
        }
    }

    // deactivates itself from the status handler as soon as it fails (m_socket becomes null while
    // the connect_error is being delivered)
    Component {
        id: deactivateOnErrorComponent
        SocketIoClient {
            id: selfDeactivating
            url: testServer.url
            namespace: "/nope"
            onStatusChanged: () => {
                if (selfDeactivating.status === SocketIoClient.Error)
                    selfDeactivating.active = false
            }
        }
    }

    // acks every event the server asks about with ackWith, then tries a second time
    Component {
        id: ackingComponent
        SocketIoClient {
            property var ackWith: []
            property var ackResults: []
            url: testServer.url
            onEventReceived: (name, args, ack) => {
                if (ack === undefined) {
                    ackResults.push("no ack requested")
                    return
                }
                ackResults.push(ack.apply(null, ackWith))
                ackResults.push(ack("second"))
            }
        }
    }

    // a handler written before eventReceived had the ack argument
    Component {
        id: twoArgumentHandlerComponent
        SocketIoClient {
            property string lastEvent
            url: testServer.url
            onEventReceived: (name, args) => lastEvent = name + ":" + JSON.stringify(args)
        }
    }

    // QML sequence values (list<T> properties; QStringList/QVariantList properties of C++ objects
    // read the same way): not JavaScript arrays, which QJSValue::isArray() tells apart
    QtObject {
        id: listHolder
        property list<string> tags: ["a", "b"]
        property list<int> numbers: [1, 2, 3]
        property var plain: ["x"]
    }

    Component {
        id: spyComponent
        SignalSpy {}
    }

    function createClient(properties) {
        const client = createTemporaryObject(clientComponent, testCase, properties)
        verify(client, "client created")
        return client
    }

    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }

    function openClient(tag, extra) {
        const properties = Object.assign({ auth: { tag: tag } }, extra || {})
        const client = createClient(properties)
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        return client
    }

    function bytes(buffer) {
        verify(buffer instanceof ArrayBuffer, "an ArrayBuffer: " + buffer)
        return Array.from(new Uint8Array(buffer))
    }

    function test_declaredActiveConnectsOnceAfterComponentComplete() {
        failOnWarning(/cannot connect/)
        const declared = createTemporaryObject(declaredComponent, testCase)
        verify(declared)
        compare(declared.status, SocketIoClient.Connecting)
        tryCompare(declared, "status", SocketIoClient.Open)
        compare(declared.errorString, "")
        verify(declared.id.length > 0)
        // an ack round trip: anything the client might still send has reached the server
        let acked = false
        verify(declared.emitEvent("message-with-ack", [], function () { acked = true }))
        tryVerify(function () { return acked })
        compare(testServer.connections("declared"), 1)
        compare(testServer.connections(""), 0, "no connection without auth")
    }

    function test_defaults() {
        const client = createClient({})
        compare(client.namespace, "/")
        compare(client.path, "/socket.io/")
        compare(client.transports, ["polling", "websocket"])
        compare(client.reconnection, true)
        compare(client.withCredentials, false)
        compare(client.timeout, 20000)
        compare(client.ackTimeout, 0)
        compare(client.tryAllTransports, false)
        compare(client.rememberUpgrade, false)
        compare(client.active, false)
        compare(client.status, SocketIoClient.Closed)
        compare(client.id, "")
        compare(client.errorString, "")
    }

    function test_statusConnectingThenOpen() {
        const client = createClient({ auth: { tag: "status" } })
        const statusSpy = spy(client, "statusChanged")
        const connectedSpy = spy(client, "connected")
        const idSpy = spy(client, "idChanged")
        client.active = true
        compare(client.status, SocketIoClient.Connecting)
        tryCompare(client, "status", SocketIoClient.Open)
        compare(statusSpy.count, 2)
        compare(statusSpy.signalArguments[0][0], SocketIoClient.Connecting)
        compare(statusSpy.signalArguments[1][0], SocketIoClient.Open)
        compare(connectedSpy.count, 1)
        compare(idSpy.count, 1)
        verify(client.id.length > 0)
        compare(testServer.connections("status"), 1)
    }

    function test_websocketOnly() {
        const client = openClient("websocket-only", { transports: ["websocket"] })
        verify(client.id.length > 0)
    }

    function test_emitWithoutCallbackAndEventReceived() {
        const client = openClient("echo")
        const eventSpy = spy(client, "eventReceived")
        const payload = ["hello", 42, 2.5, true, null, { nested: { list: [1, "two", [3]] } }]
        verify(client.emitEvent("message", payload))
        tryCompare(eventSpy, "count", 1)
        compare(eventSpy.signalArguments[0][0], "message-back")
        const args = eventSpy.signalArguments[0][1]
        verify(Array.isArray(args), "args is a JavaScript array")
        compare(args.length, payload.length)
        compare(args, payload)
        compare(args[5].nested.list[2][0], 3)
        compare(eventSpy.signalArguments[0][2], undefined, "no ack requested, no ack function")
    }

    function openAckingClient(tag, ackWith) {
        const client = createTemporaryObject(ackingComponent, testCase,
                                             { auth: { tag: tag }, ackWith: ackWith })
        verify(client)
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        return client
    }

    function test_ackServerEventWithJson() {
        const client = openAckingClient("ack-server-json", ["ok", 7, { nested: [true, null] }])
        const answers = testServer.answers
        verify(testServer.askClient("ack-server-json", "question", ["what?", 1]))
        tryCompare(testServer, "answers", answers + 1)
        compare(testServer.lastAnswer, '["ok", 7, {"nested": [true, null]}]')
        compare(client.ackResults, [true, false], "the first call sends, the second is ignored")
    }

    function test_ackServerEventWithArrayBuffer() {
        const client = openAckingClient("ack-server-binary",
                                        [new Uint8Array([1, 2, 255]).buffer, "label"])
        const answers = testServer.answers
        verify(testServer.askClient("ack-server-binary", "question", []))
        tryCompare(testServer, "answers", answers + 1)
        compare(testServer.lastAnswer, "[h'0102ff', \"label\"]")
        compare(client.ackResults, [true, false])
    }

    function test_ackLaterFromASpy() {
        const client = openClient("ack-server-later")
        const eventSpy = spy(client, "eventReceived")
        const answers = testServer.answers
        verify(testServer.askClient("ack-server-later", "question", ["q"]))
        tryCompare(eventSpy, "count", 1)
        compare(eventSpy.signalArguments[0][0], "question")
        compare(eventSpy.signalArguments[0][1], ["q"])
        const ack = eventSpy.signalArguments[0][2]
        compare(typeof ack, "function")
        compare(testServer.answers, answers, "nothing sent before ack() is called")
        compare(ack(), true)
        compare(ack("ignored"), false)
        tryCompare(testServer, "answers", answers + 1)
        compare(testServer.lastAnswer, "[]")
        // one more round trip: the ignored second call sent nothing
        verify(testServer.askClient("ack-server-later", "question", ["again"]))
        tryCompare(eventSpy, "count", 2)
        compare(eventSpy.signalArguments[1][2]("second question"), true)
        tryCompare(testServer, "answers", answers + 2)
        compare(testServer.lastAnswer, '["second question"]')
    }

    function test_twoArgumentHandlerStillWorks() {
        const client = createTemporaryObject(twoArgumentHandlerComponent, testCase,
                                             { auth: { tag: "two-argument-handler" } })
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        verify(client.emitEvent("message", ["hi", 1]))
        tryCompare(client, "lastEvent", 'message-back:["hi",1]')
    }

    function test_emitTimeoutCallsOnErrorOnce() {
        const client = openClient("ack-timeout")
        let acked = 0
        const errors = []
        verify(client.emitEvent("never-acked", ["x"], function () { ++acked }, 100,
                                function (message) { errors.push(message) }))
        compare(errors, [], "never called synchronously")
        tryVerify(function () { return errors.length > 0 })
        compare(errors, ["operation has timed out"])
        // an ack round trip later: still exactly one call, and the callback never ran
        let roundTrip = false
        verify(client.emitEvent("message-with-ack", [], function () { roundTrip = true }, 5000,
                                function (message) { fail("unexpected " + message) }))
        tryVerify(function () { return roundTrip })
        compare(errors, ["operation has timed out"])
        compare(acked, 0)
    }

    function test_disconnectCallsOnError() {
        const client = openClient("ack-disconnect")
        const errors = []
        let acked = false
        verify(client.emitEvent("never-acked", [], function () { acked = true }, 0,
                                function (message) { errors.push(message) }))
        client.active = false
        tryVerify(function () { return errors.length > 0 })
        compare(errors, ["socket has been disconnected"])
        compare(acked, false)
    }

    function test_emitWithCallbackGetsAckArguments() {
        const client = openClient("ack")
        let ackArgs = null
        verify(client.emitEvent("message-with-ack", [1, "two", { three: [3] }], function () {
            ackArgs = Array.from(arguments)
        }))
        compare(ackArgs, null, "the callback is never called synchronously")
        tryVerify(function () { return ackArgs !== null })
        compare(ackArgs, [1, "two", { three: [3] }])
    }

    function test_emitWithCallbackBeforeConnected() {
        const client = createClient({ auth: { tag: "buffered" } })
        client.active = true
        compare(client.status, SocketIoClient.Connecting)
        let ackArgs = null
        verify(client.emitEvent("message-with-ack", ["early"], function (a) { ackArgs = [a] }))
        tryVerify(function () { return ackArgs !== null })
        compare(ackArgs, ["early"])
    }

    function test_singleArgumentAndNoArguments() {
        const client = openClient("single")
        let recorded = false
        verify(client.emitEvent("record", "just one", function () { recorded = true }))
        tryVerify(function () { return recorded })
        compare(testServer.lastArgs, '["just one"]')
        recorded = false
        verify(client.emitEvent("record", undefined, function () { recorded = true }))
        tryVerify(function () { return recorded })
        compare(testServer.lastArgs, "[]")
    }

    function test_qmlListsArriveAsArrays() {
        const client = openClient("lists")
        let recorded = false
        verify(client.emitEvent("record", [listHolder.tags, listHolder.numbers, listHolder.plain],
                                function () { recorded = true }))
        tryVerify(function () { return recorded })
        compare(testServer.lastArgs, '[["a", "b"], [1, 2, 3], ["x"]]')
        // a list as the whole argument list: one argument per element, as an array would be
        recorded = false
        verify(client.emitEvent("record", listHolder.tags, function () { recorded = true }))
        tryVerify(function () { return recorded })
        compare(testServer.lastArgs, '["a", "b"]')
    }

    function test_valuesArriveAsJsonStringifyWouldSendThem() {
        const client = openClient("conversion")
        let recorded = false
        const args = [1, 2.5, -0, 9007199254740992, Math.pow(2, 60), NaN, "s", true, null, undefined,
                      { a: [1, { b: undefined, f: function () {} }], d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) }]
        verify(client.emitEvent("record", args, function () { recorded = true }))
        tryVerify(function () { return recorded })
        compare(testServer.lastArgs,
                '[1, 2.5, 0, 9007199254740992, 1152921504606846976.0, null, "s", true, null, null, '
                + '{"a": [1, {}], "d": "2024-01-02T03:04:05.006Z"}]')
    }

    function test_binaryFromJsArrivesAsBytes() {
        const client = openClient("binary-out")
        verify(client.emitEvent("binary", [new Uint8Array([0, 1, 255]).buffer]))
        tryCompare(testServer, "lastBinaryHex", "0001ff")
        // a typed array view sends only its own bytes
        verify(client.emitEvent("binary", [new Uint8Array([9, 8, 7, 6]).subarray(1, 3)]))
        tryCompare(testServer, "lastBinaryHex", "0807")
        verify(client.emitEvent("binary", [new DataView(new Uint8Array([5, 4, 3]).buffer, 2)]))
        tryCompare(testServer, "lastBinaryHex", "03")
    }

    function test_binaryEchoArrivesAsArrayBuffer() {
        const client = openClient("binary-echo")
        const eventSpy = spy(client, "eventReceived")
        verify(client.emitEvent("binary", [new Uint8Array([10, 20, 30]).buffer, "label"]))
        tryCompare(eventSpy, "count", 1)
        compare(eventSpy.signalArguments[0][0], "binary-back")
        const args = eventSpy.signalArguments[0][1]
        compare(bytes(args[0]), [10, 20, 30])
        compare(args[1], "label")
    }

    function test_nestedJsonAndBinaryFromServer() {
        const client = openClient("mixed")
        const eventSpy = spy(client, "eventReceived")
        verify(client.emitEvent("ask-mixed"))
        tryCompare(eventSpy, "count", 1)
        compare(eventSpy.signalArguments[0][0], "mixed")
        const args = eventSpy.signalArguments[0][1]
        compare(args.length, 2)
        const nested = args[0]
        compare(nested.text, "hi")
        compare(nested.n, 42)
        compare(nested.pi, 3.5)
        compare(nested.flag, true)
        compare(nested.none, null)
        compare(nested.list, [1, "two", [3]])
        compare(bytes(nested.bytes), [0, 1, 255])
        compare(bytes(args[1]), [97, 98, 99])
    }

    function test_connectErrorForUnknownNamespace() {
        const client = createTemporaryObject(unknownNamespaceComponent, testCase, { auth: { tag: "unknown" } })
        compare(client.namespace, "/nope")
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1)
        compare(errorSpy.signalArguments[0][0], "Invalid namespace")
        compare(client.status, SocketIoClient.Error)
        compare(client.errorString, "Invalid namespace")
        compare(client.id, "")
    }

    function test_deactivatingFromTheStatusHandlerOnConnectError() {
        const client = createTemporaryObject(deactivateOnErrorComponent, testCase, { auth: { tag: "deactivate" } })
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1)
        compare(errorSpy.signalArguments[0][0], "Invalid namespace")
        compare(errorSpy.signalArguments[0][2].transportError, false)
        compare(errorSpy.signalArguments[0][2].httpStatus, 0)
        compare(client.active, false)
        compare(client.errorString, "Invalid namespace")
        // and it can be activated again
        client.active = true
        tryCompare(errorSpy, "count", 2)
        compare(client.active, false)
    }

    function test_connectErrorCarriesData() {
        const client = createClient({ namespace: "/private" })
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1)
        compare(errorSpy.signalArguments[0][0], "not authorized")
        compare(errorSpy.signalArguments[0][1], { code: 42 })
        compare(client.status, SocketIoClient.Error)
    }

    function test_connectErrorDetailsOfARefusedHandshake() {
        // socket.io-client: connect_error TransportError "xhr poll error", description 403
        const client = createClient({ url: testServer.url + "/?refuse=1", transports: ["polling"],
                                      reconnection: false })
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1)
        compare(errorSpy.signalArguments[0][0], "xhr poll error")
        compare(errorSpy.signalArguments[0][1], undefined)
        const details = errorSpy.signalArguments[0][2]
        compare(details.transportError, true)
        compare(details.httpStatus, 403)
        verify(details.description.indexOf("403") >= 0, details.description)
        compare(client.errorString, "xhr poll error")
    }

    function test_connectErrorDetailsOfAServerRefusal() {
        const client = createClient({ namespace: "/private" })
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1)
        compare(errorSpy.signalArguments[0][2].transportError, false)
        compare(errorSpy.signalArguments[0][2].httpStatus, 0)
    }

    function test_inactiveLeavesTheNamespace() {
        const client = openClient("leave")
        const disconnectedSpy = spy(client, "disconnected")
        client.active = false
        compare(client.status, SocketIoClient.Closed)
        compare(client.id, "")
        compare(disconnectedSpy.count, 1)
        compare(disconnectedSpy.signalArguments[0][0], "io client disconnect")
        tryVerify(function () { return testServer.disconnectReason("leave") !== "" })
        compare(testServer.disconnectReason("leave"), "client namespace disconnect")
        // and connects again when reactivated
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.connections("leave"), 2)
    }

    function test_serverDisconnectCloses() {
        const client = openClient("kick")
        const disconnectedSpy = spy(client, "disconnected")
        verify(client.emitEvent("kick"))
        tryCompare(disconnectedSpy, "count", 1)
        compare(disconnectedSpy.signalArguments[0][0], "io server disconnect")
        compare(client.status, SocketIoClient.Closed)
        compare(client.active, true, "active stays what the application set")
    }

    // a handler on the client's own signals, made for one test
    function handler(client, body) {
        const connections = Qt.createQmlObject("import QtQuick; import SocketIo; Connections { property var client; " + body + " }",
                                               testCase, "handler")
        connections.client = client
        connections.target = client
        return connections
    }

    function test_deactivatingFromTheConnectingStatusHandler() {
        const client = createClient({ auth: { tag: "deactivate-connecting" } })
        const h = handler(client, "function onStatusChanged(status) {"
                                  + " if (status === SocketIoClient.Connecting) client.active = false }")
        client.active = true
        compare(client.active, false)
        compare(client.status, SocketIoClient.Closed)
        h.target = null
        // and it still connects when activated again
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.connections("deactivate-connecting"), 1)
    }

    function test_invalidUrlMendedWhileActive() {
        ignoreWarning(/cannot connect: the url is empty or invalid/)
        const client = createClient({ url: "", auth: { tag: "mended-url" } })
        client.active = true
        compare(client.status, SocketIoClient.Error)
        compare(client.errorString, "the url is empty or invalid")
        client.url = testServer.url
        tryCompare(client, "status", SocketIoClient.Open)
        compare(client.errorString, "")
        compare(testServer.connections("mended-url"), 1)
    }

    function test_lostConnectionWithoutReconnectionIsClosed() {
        const client = openClient("no-reconnection", { reconnection: false })
        const disconnectedSpy = spy(client, "disconnected")
        verify(testServer.dropConnection("no-reconnection"))
        tryCompare(disconnectedSpy, "count", 1)
        compare(client.status, SocketIoClient.Closed, "nothing will reconnect it")
        compare(client.active, true, "active stays what the application set")
        // toggling active connects again
        client.active = false
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.connections("no-reconnection"), 2)
    }

    function test_deactivatingFromAHandlerDuringAReopenStaysClosed() {
        const client = openClient("deactivate-reopen")
        const h = handler(client, "function onStatusChanged(status) {"
                                  + " if (status === SocketIoClient.Closed) client.active = false }")
        client.url = testServer.url + "/"   // reconnects: closes, and the handler deactivates it
        compare(client.active, false)
        compare(client.status, SocketIoClient.Closed, "no new connection while inactive")
        h.target = null
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.connections("deactivate-reopen"), 2)
    }

    function test_reopeningFromAHandlerDuringAReopenLeavesOneConnection() {
        // a url change closes the connection (statusChanged(Closed), disconnected) and opens a
        // new one; a handler of the close that changes a property reopens from inside it
        const client = openClient("reentrant")
        const h = handler(client, "property bool done: false; function onDisconnected(reason) {"
                                  + " if (!done) { done = true; client.reconnection = false } }")
        client.url = testServer.url + "/"
        verify(h.done)
        compare(client.reconnection, false)
        tryCompare(client, "status", SocketIoClient.Open)
        let acked = false
        verify(client.emitEvent("message-with-ack", [], function () { acked = true }))
        tryVerify(function () { return acked })
        compare(testServer.connections("reentrant"), 2, "the first and one more, no stray client")
        h.target = null
        // the one left is the one the component controls
        const disconnectedSpy = spy(client, "disconnected")
        client.active = false
        compare(disconnectedSpy.count, 1)
        compare(disconnectedSpy.signalArguments[0][0], "io client disconnect")
        compare(client.status, SocketIoClient.Closed)
    }

    function test_urlChangeWhileActiveReconnects() {
        const client = openClient("url-change")
        const firstId = client.id
        client.url = testServer.url + "/"
        compare(client.status, SocketIoClient.Connecting)
        tryCompare(client, "status", SocketIoClient.Open)
        verify(client.id !== firstId)
        compare(testServer.connections("url-change"), 2)
    }

    function test_unsetNamespaceIsTheUrlPath() {
        // socket.io-client: io("http://host/custom") joins "/custom"
        const client = createClient({ url: testServer.url + "/custom", auth: { tag: "url-path" } })
        compare(client.namespace, "/custom")
        const namespaceSpy = spy(client, "namespaceChanged")
        client.active = true
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.namespaceOf("url-path"), "/custom")
        // an explicit namespace wins over the URL's path
        client.namespace = "/"
        compare(namespaceSpy.count, 1)
        compare(client.status, SocketIoClient.Connecting)
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.namespaceOf("url-path"), "/")
        // undefined unsets it again: the URL's path
        client.namespace = undefined
        compare(client.namespace, "/custom")
        compare(namespaceSpy.count, 2)
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.namespaceOf("url-path"), "/custom")
        compare(testServer.connections("url-path"), 3)
        // unset, it follows the URL; a URL without a path means "/"
        client.url = testServer.url
        compare(client.namespace, "/")
        compare(namespaceSpy.count, 3)
        tryCompare(client, "status", SocketIoClient.Open)
        compare(testServer.namespaceOf("url-path"), "/")
    }

    function test_transportsOrder() {
        // engine.io-client opens with the first transport of the list
        openClient("websocket-first", { transports: ["websocket", "polling"] })
        compare(testServer.joinedOver("websocket-first"), "websocket")
        openClient("polling-first", { transports: ["polling", "websocket"] })
        compare(testServer.joinedOver("polling-first"), "polling")
    }

    function test_tryAllTransportsAndRememberUpgradeNotify() {
        const client = createClient({})
        const trySpy = spy(client, "tryAllTransportsChanged")
        const rememberSpy = spy(client, "rememberUpgradeChanged")
        client.tryAllTransports = true
        client.tryAllTransports = true
        client.rememberUpgrade = true
        client.rememberUpgrade = true
        compare(trySpy.count, 1)
        compare(rememberSpy.count, 1)
        compare(client.tryAllTransports, true)
        compare(client.rememberUpgrade, true)
    }

    function test_tryAllTransportsFallsBackToPolling() {
        // engine.io-client's tryAllTransports: the server refuses WebSocket (polling only), so
        // the attempt goes on with the next transport of the list, polling
        const client = openClient("try-all", { url: testServer.pollingOnlyUrl, transports: ["websocket", "polling"],
                                               tryAllTransports: true, reconnection: false })
        compare(testServer.openedOver("try-all"), "polling")
        compare(testServer.joinedOver("try-all"), "polling")
        compare(client.errorString, "")
        compare(testServer.connections("try-all"), 1)
    }

    function test_withoutTryAllTransportsARefusedWebSocketFails() {
        // the same server and transports without tryAllTransports: the attempt fails with the
        // WebSocket's error (and reconnecting would start with WebSocket again)
        const client = createClient({ url: testServer.pollingOnlyUrl, transports: ["websocket", "polling"],
                                      reconnection: false, auth: { tag: "try-first-only" } })
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1)
        compare(errorSpy.signalArguments[0][0], "websocket error")
        compare(errorSpy.signalArguments[0][2].transportError, true)
        compare(client.status, SocketIoClient.Error)
        compare(testServer.connections("try-first-only"), 0)
    }

    function test_settingTryAllTransportsWhileActiveReconnectsWithIt() {
        // a changed option applies at once: the active client reconnects with it (here the
        // failed WebSocket-only attempt becomes a polling connection)
        const client = createClient({ url: testServer.pollingOnlyUrl, transports: ["websocket", "polling"],
                                      reconnection: false, auth: { tag: "try-all-later" } })
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1)
        compare(client.status, SocketIoClient.Error)
        compare(testServer.connections("try-all-later"), 0)
        client.tryAllTransports = true
        tryCompare(client, "status", SocketIoClient.Open)
        compare(client.active, true)
        compare(testServer.connections("try-all-later"), 1)
        compare(testServer.openedOver("try-all-later"), "polling")
    }

    function test_rememberUpgrade_data() {
        return [
            { tag: "rememberUpgrade false (default): polling again", remember: false, second: "polling" },
            { tag: "rememberUpgrade true: WebSocket directly", remember: true, second: "websocket" },
        ]
    }

    function test_rememberUpgrade(data) {
        // engine.io-client's rememberUpgrade: after a successful upgrade, the next connection
        // (here the reconnection after the server dropped the first) opens with WebSocket
        const tag = "remember-upgrade-" + data.remember
        const client = openClient(tag, { rememberUpgrade: data.remember })
        compare(testServer.openedOver(tag), "polling")
        tryVerify(function () { return testServer.transportOf(tag) === "websocket" }, 5000, "upgraded")
        const disconnectedSpy = spy(client, "disconnected")
        verify(testServer.dropConnection(tag))
        tryCompare(disconnectedSpy, "count", 1)
        // socket.io-client's first reconnection delay: 1 s +- 50 %
        tryCompare(client, "status", SocketIoClient.Open, 5000)
        compare(testServer.connections(tag), 2)
        compare(testServer.openedOver(tag), data.second)
    }

    function test_withCredentialsSendsTheCookieBack() {
        // the server sets io=<sid> on the handshake; polling only, so that every later request
        // of the connection is a polling request that could carry it
        const before = testServer.cookieRequests
        const without = openClient("no-credentials", { url: testServer.cookieUrl, transports: ["polling"] })
        let acked = false
        verify(without.emitEvent("message-with-ack", [], function () { acked = true }))
        tryVerify(function () { return acked })
        compare(testServer.cookieRequests, before, "no cookie sent without withCredentials")
        without.active = false

        const withCredentials = openClient("credentials", { url: testServer.cookieUrl, transports: ["polling"],
                                                            withCredentials: true })
        acked = false
        verify(withCredentials.emitEvent("message-with-ack", [], function () { acked = true }))
        tryVerify(function () { return acked })
        verify(testServer.cookieRequests > before, "the io cookie went back to the server")
    }

    function test_timeoutFailsAnAttemptThatGetsNoAnswer() {
        const client = createClient({ url: testServer.silentUrl, timeout: 200, reconnection: false })
        const errorSpy = spy(client, "connectError")
        client.active = true
        tryCompare(errorSpy, "count", 1, 5000)
        compare(errorSpy.signalArguments[0][0], "timeout")
        compare(client.status, SocketIoClient.Error)
        compare(client.errorString, "timeout")
    }

    function test_ackTimeoutIsTheDefaultEmitTimeout() {
        const client = openClient("ack-timeout-property", { ackTimeout: 100 })
        const errors = []
        verify(client.emitEvent("never-acked", [], function () { fail("acknowledged") }, 0,
                                function (message) { errors.push(message) }))
        tryVerify(function () { return errors.length > 0 })
        compare(errors, ["operation has timed out"])
        // a timeout of its own wins: "long" (400 ms) is sent before "short" (200 ms); if the
        // property's 100 ms applied to both, "long" would fail first
        const order = []
        verify(client.emitEvent("never-acked", [], function () { fail("acknowledged") }, 400,
                                function () { order.push("long") }))
        verify(client.emitEvent("never-acked", [], function () { fail("acknowledged") }, 200,
                                function () { order.push("short") }))
        tryVerify(function () { return order.length === 2 }, 5000)
        compare(order, ["short", "long"])
        // ackTimeout 0 waits, and the property applies without reconnecting: "waiting" is sent
        // first without a timeout; when "bounded" (200 ms) fails, "waiting" has not
        client.ackTimeout = 0
        const late = []
        verify(client.emitEvent("never-acked", [], function () { fail("acknowledged") }, 0,
                                function () { late.push("waiting") }))
        verify(client.emitEvent("never-acked", [], function () { fail("acknowledged") }, 200,
                                function () { late.push("bounded") }))
        tryVerify(function () { return late.length > 0 }, 5000)
        compare(late, ["bounded"])
        let acked = false
        verify(client.emitEvent("message-with-ack", [], function () { acked = true }, 0,
                                function (message) { fail("unexpected " + message) }))
        tryVerify(function () { return acked })
        compare(late, ["bounded"])
        compare(testServer.connections("ack-timeout-property"), 1)
    }

    function test_emitRefusals() {
        const client = createClient({})
        ignoreWarning(/not sent: the client is not active/)
        compare(client.emitEvent("message", []), false)
        client.auth = { tag: "refusals" }
        client.active = true
        ignoreWarning(/not sent: the callback is not a function/)
        compare(client.emitEvent("message", [], 42), false)
        ignoreWarning(/not sent: onError is not a function/)
        compare(client.emitEvent("message", [], undefined, 0, "oops"), false)
        ignoreWarning(/not sent: the timeout is negative/)
        compare(client.emitEvent("message", [], function () {}, -1), false)
        ignoreWarning(/reserved/)
        compare(client.emitEvent("connect", []), false)
        const cyclic = {}
        cyclic.self = cyclic
        ignoreWarning(/nest deeper than 64 levels/)
        compare(client.emitEvent("message", [cyclic]), false)
    }

    function test_invalidUrlIsAnError() {
        const client = createTemporaryObject(clientComponent, testCase, { url: "" })
        ignoreWarning(/cannot connect: the url is empty or invalid/)
        client.active = true
        compare(client.status, SocketIoClient.Error)
        verify(client.errorString.length > 0)
    }
}
