// The overview's charts (Chart.js, served from /console/static/vendor). Each links to its list.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("overview-data").textContent);
  var test = JSON.parse(document.getElementById("overview-test").textContent);
  var palette = ["#2952cc", "#1c7c4a", "#b42318", "#9a6300", "#7a3fc2", "#0e7490", "#be185d", "#4d7c0f", "#475569", "#c2410c"];
  var labels = data.minutes.map(function (m) { return m.slice(11, 16); });
  function plusMinute(iso) { return new Date(new Date(iso).getTime() + 60000).toISOString().replace(".000Z", "Z"); }
  // Stacked bars, one colour per connector: the height is the minute's total, and each
  // connector's part is its own click target (overlapping lines would hide one another).
  // `shown`: what a series is called in the legend (a connector's name), when not its key.
  function minuteChart(id, series, onClick, shown) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var names = Object.keys(series);
    new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: names.map(function (name, i) {
        return { label: (shown && shown[name]) || name, key: name, data: series[name], backgroundColor: palette[i % palette.length],
                 barPercentage: 1, categoryPercentage: 1, minBarLength: 0 };
      }) },
      options: { animation: false, maintainAspectRatio: false, interaction: { mode: "nearest", axis: "xy", intersect: false },
        scales: { x: { stacked: true, ticks: { maxTicksLimit: 12, autoSkip: true } },
                  y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        onClick: function (event, elements, chart) {
          if (!elements.length) return;
          var el = elements[0];
          onClick(chart.data.datasets[el.datasetIndex].key, data.minutes[el.index]);
        } }
    });
  }
  minuteChart("chart-events", data.events, function (connector, minute) {
    location.href = "/console/events?connector=" + encodeURIComponent(connector) + "&since=" + minute + "&until=" + plusMinute(minute) + "&test=" + test;
  }, data.connectorNames);
  minuteChart("chart-refused", data.refused, function (code, minute) {
    location.href = "/console/requests?refused=true&error=" + encodeURIComponent(code) + "&since=" + minute + "&until=" + plusMinute(minute);
  });
  var points = document.getElementById("chart-points");
  if (points) {
    new Chart(points, {
      type: "bar",
      data: { labels: data.points.map(function (r) { return r.name || r.ruleId; }),
              datasets: [{ label: "points", data: data.points.map(function (r) { return r.points; }), backgroundColor: "#2952cc" }] },
      options: { animation: false, maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } },
        onClick: function (event, elements) {
          if (elements.length) location.href = "/console/rules/" + encodeURIComponent(data.points[elements[0].index].ruleId);
        } }
    });
  }
})();
